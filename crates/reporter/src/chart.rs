//! Bar charts as inline SVG (no JavaScript), and the same bars as geometry for the PDF.

use std::fmt::Write;

/// One bar: its label under the axis and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: u64,
}

/// Where each bar goes in a `width` × `height` box (origin top left), with room for labels.
#[derive(Debug, Clone, PartialEq)]
pub struct BarGeometry {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

pub const LABEL_ROOM: f32 = 18.0;
pub const VALUE_ROOM: f32 = 14.0;

/// The rectangles of `bars` in a box of `width` × `height`.
pub fn layout(bars: &[Bar], width: f32, height: f32) -> Vec<BarGeometry> {
    let max = bars.iter().map(|bar| bar.value).max().unwrap_or(0).max(1) as f32;
    let slot = width / bars.len().max(1) as f32;
    let plot_height = height - LABEL_ROOM - VALUE_ROOM;
    bars.iter()
        .enumerate()
        .map(|(index, bar)| {
            let bar_height = plot_height * bar.value as f32 / max;
            BarGeometry {
                x: index as f32 * slot + slot * 0.15,
                y: VALUE_ROOM + plot_height - bar_height,
                width: slot * 0.7,
                height: bar_height,
            }
        })
        .collect()
}

/// Every `step`th label is printed so that labels do not overlap.
pub fn label_step(bars: usize, width: f32, label_width: f32) -> usize {
    let fit = (width / label_width).floor().max(1.0) as usize;
    bars.div_ceil(fit).max(1)
}

/// A bar chart with a title (`aria-label`), values over bars and labels under them.
pub fn bar_chart_svg(title: &str, bars: &[Bar], width: f32, height: f32) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="10">"#,
        escape(title)
    );
    let _ = write!(
        svg,
        r##"<line x1="0" y1="{y}" x2="{width}" y2="{y}" stroke="#888" stroke-width="1"/>"##,
        y = height - LABEL_ROOM
    );
    let step = label_step(bars.len(), width, 60.0);
    let value_step = label_step(bars.len(), width, 18.0);
    for (index, (bar, geometry)) in bars.iter().zip(layout(bars, width, height)).enumerate() {
        let center = geometry.x + geometry.width / 2.0;
        let _ = write!(
            svg,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#3b6ea5"><title>{}: {}</title></rect>"##,
            geometry.x,
            geometry.y,
            geometry.width,
            geometry.height,
            escape(&bar.label),
            bar.value
        );
        if bar.value > 0 && index % value_step == 0 {
            let _ = write!(
                svg,
                r#"<text x="{center:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                geometry.y - 3.0,
                bar.value
            );
        }
        if index % step == 0 {
            let _ = write!(
                svg,
                r#"<text x="{center:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                height - 5.0,
                escape(&bar.label)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Escapes text for SVG/HTML content and attribute values.
pub use detectviz::text::escape_html as escape;
