//! PDF page layout without IO: text wrapped to the page width, tables and bar charts placed
//! top to bottom, a new page when one is full. `pdf.rs` draws the result with krilla.

use crate::chart::{self, Bar};

pub const PAGE_WIDTH: f32 = 595.0;
pub const PAGE_HEIGHT: f32 = 842.0;
pub const MARGIN: f32 = 50.0;
pub const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;

/// An RGB colour.
pub type Rgb = (u8, u8, u8);
pub const TEXT: Rgb = (34, 34, 34);
pub const MUTED: Rgb = (90, 90, 90);
pub const NOTE: Rgb = (138, 90, 0);
pub const BAR: Rgb = (59, 110, 165);
pub const RULE: Rgb = (190, 190, 190);

/// One drawing operation; `y` grows downwards, text `y` is its baseline.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
        color: Rgb,
    },
    Rect {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
        color: Rgb,
    },
}

/// Pages of operations, filled top to bottom.
pub struct Layout {
    pub pages: Vec<Vec<Op>>,
    y: f32,
}

impl Default for Layout {
    fn default() -> Self {
        Layout::new()
    }
}

/// The width of `text` at `size`: full width for CJK and other wide characters.
pub fn text_width(text: &str, size: f32) -> f32 {
    text.chars().map(|c| char_width(c, size)).sum()
}

fn char_width(character: char, size: f32) -> f32 {
    if character.is_ascii() {
        size * 0.55
    } else {
        size
    }
}

/// Lines of at most `width`: ASCII words stay whole, other characters may break anywhere.
pub fn wrap(text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut line_width = 0.0;
        for token in tokens(paragraph) {
            let token_width = text_width(&token, size);
            if line_width + token_width > width && !line.is_empty() {
                lines.push(line.trim_end().to_string());
                line = String::new();
                line_width = 0.0;
                if token == " " {
                    continue;
                }
            }
            line_width += token_width;
            line.push_str(&token);
        }
        lines.push(line.trim_end().to_string());
    }
    lines
}

fn tokens(text: &str) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::new();
    let mut word = String::new();
    for character in text.chars() {
        if character.is_ascii_alphanumeric() || ".,:;()%-_/#'\"".contains(character) {
            word.push(character);
            continue;
        }
        if !word.is_empty() {
            tokens.push(std::mem::take(&mut word));
        }
        tokens.push(character.to_string());
    }
    if !word.is_empty() {
        tokens.push(word);
    }
    tokens
}

impl Layout {
    pub fn new() -> Layout {
        Layout {
            pages: vec![Vec::new()],
            y: MARGIN,
        }
    }

    fn ensure_room(&mut self, height: f32) {
        if self.y + height > PAGE_HEIGHT - MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
        }
    }

    fn push(&mut self, op: Op) {
        self.pages.last_mut().expect("a page").push(op);
    }

    pub fn space(&mut self, height: f32) {
        self.y += height;
    }

    /// Wrapped text at `x` offset from the margin.
    pub fn text(&mut self, text: &str, size: f32, color: Rgb) {
        for line in wrap(text, size, CONTENT_WIDTH) {
            let line_height = size * 1.5;
            self.ensure_room(line_height);
            self.y += line_height;
            self.push(Op::Text {
                x: MARGIN,
                y: self.y - size * 0.35,
                size,
                text: line,
                color,
            });
        }
    }

    pub fn heading(&mut self, text: &str, size: f32) {
        self.ensure_room(size * 4.0);
        self.space(size * 0.6);
        self.text(text, size, TEXT);
        self.push(Op::Rect {
            x: MARGIN,
            y: self.y + 2.0,
            width: CONTENT_WIDTH,
            height: 0.8,
            color: RULE,
        });
        self.space(6.0);
    }

    /// A table with relative column widths; cells are cut to their column.
    pub fn table(&mut self, header: &[String], rows: &[Vec<String>], widths: &[f32]) {
        let size = 10.0;
        let total: f32 = widths.iter().sum();
        let columns: Vec<f32> = widths.iter().map(|w| w / total * CONTENT_WIDTH).collect();
        let draw_row = |layout: &mut Layout, cells: &[String], color: Rgb| {
            let row_height = size * 1.7;
            layout.ensure_room(row_height);
            layout.y += row_height;
            let mut x = MARGIN;
            for (cell, width) in cells.iter().zip(&columns) {
                let shown = wrap(cell, size, width - 6.0)
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                layout.push(Op::Text {
                    x,
                    y: layout.y - size * 0.45,
                    size,
                    text: shown,
                    color,
                });
                x += width;
            }
            layout.push(Op::Rect {
                x: MARGIN,
                y: layout.y,
                width: CONTENT_WIDTH,
                height: 0.5,
                color: RULE,
            });
        };
        draw_row(self, header, MUTED);
        for row in rows {
            draw_row(self, row, TEXT);
        }
        self.space(8.0);
    }

    /// A bar chart `height` high across the content width, labels under the bars.
    pub fn bar_chart(&mut self, bars: &[Bar], height: f32) {
        self.ensure_room(height + 10.0);
        let top = self.y;
        for (bar, geometry) in bars.iter().zip(chart::layout(bars, CONTENT_WIDTH, height)) {
            self.push(Op::Rect {
                x: MARGIN + geometry.x,
                y: top + geometry.y,
                width: geometry.width,
                height: geometry.height.max(0.5),
                color: BAR,
            });
            let _ = bar;
        }
        let axis_y = top + height - chart::LABEL_ROOM;
        self.push(Op::Rect {
            x: MARGIN,
            y: axis_y,
            width: CONTENT_WIDTH,
            height: 0.8,
            color: MUTED,
        });
        let size = 7.0;
        let slot = CONTENT_WIDTH / bars.len().max(1) as f32;
        let step = chart::label_step(bars.len(), CONTENT_WIDTH, 40.0);
        for (index, bar) in bars.iter().enumerate() {
            let center = MARGIN + slot * (index as f32 + 0.5);
            if index % step == 0 {
                let x = center - text_width(&bar.label, size) / 2.0;
                self.push(Op::Text {
                    x,
                    y: axis_y + 11.0,
                    size,
                    text: bar.label.clone(),
                    color: MUTED,
                });
            }
        }
        self.y = top + height + 6.0;
    }
}
