//! PDF export with krilla: the layout of `pdf_layout.rs` drawn with an embedded, subset
//! TrueType/OpenType font (a CJK font, so Traditional Chinese renders and `pdftotext`
//! extracts it). No browser, no external program.

use std::path::Path;

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::{Font, TextDirection};

use crate::ReporterError;
use crate::chart::Bar;
use crate::language::Labels;
use crate::pdf_layout::{Layout, MUTED, NOTE, Op, PAGE_HEIGHT, PAGE_WIDTH, Rgb, TEXT};
use crate::period::format_local;
use crate::report::Report;
use crate::{charts, format, html};

/// Loads face `index` of the font file at `path`.
pub fn load_font(path: &Path, index: u32) -> Result<Font, ReporterError> {
    let data = std::fs::read(path).map_err(|error| {
        ReporterError::Pdf(format!(
            "font {}: {error} (install Debian fonts-arphic-uming or set reporter.pdf_font_path)",
            path.display()
        ))
    })?;
    Font::new(data.into(), index).ok_or_else(|| {
        ReporterError::Pdf(format!(
            "font {} face {index}: not a TrueType or OpenType font krilla can read",
            path.display()
        ))
    })
}

/// The report as PDF bytes (A4).
pub fn render(report: &Report, labels: &Labels, font: &Font) -> Result<Vec<u8>, ReporterError> {
    let layout = lay_out(report, labels);
    let mut document = Document::new();
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or_else(|| ReporterError::Pdf("invalid page size".into()))?;
    for operations in &layout.pages {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for operation in operations {
            match operation {
                Op::Text {
                    x,
                    y,
                    size,
                    text,
                    color,
                } => {
                    surface.set_fill(Some(fill(*color)));
                    surface.draw_text(
                        Point::from_xy(*x, *y),
                        font.clone(),
                        *size,
                        text,
                        false,
                        TextDirection::Auto,
                    );
                }
                Op::Rect {
                    x,
                    y,
                    width,
                    height,
                    color,
                } => {
                    let Some(rect) = Rect::from_xywh(*x, *y, *width, *height) else {
                        continue;
                    };
                    let mut builder = PathBuilder::new();
                    builder.push_rect(rect);
                    if let Some(path) = builder.finish() {
                        surface.set_fill(Some(fill(*color)));
                        surface.draw_path(&path);
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|error| ReporterError::Pdf(format!("{error:?}")))
}

fn fill((red, green, blue): Rgb) -> Fill {
    Fill {
        paint: rgb::Color::new(red, green, blue).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn lay_out(report: &Report, labels: &Labels) -> Layout {
    let figures = &report.figures;
    let mut layout = Layout::new();
    layout.text(&report.title, 20.0, TEXT);
    layout.text(
        &format!(
            "{}: {}    {}: {}",
            labels.get("period"),
            format::period_line(report),
            labels.get("generated_at"),
            format_local(report.generated_at_ms, report.offset())
        ),
        9.0,
        MUTED,
    );

    layout.heading(labels.get("summary"), 14.0);
    layout.text(&report.summary.text, 11.0, TEXT);
    let mut source = format!(
        "{}: {}",
        labels.get("summary_backend"),
        report.summary.backend
    );
    if let Some(model) = &report.summary.model {
        source.push_str(&format!(" ({model})"));
    }
    layout.text(&source, 9.0, MUTED);
    if let Some(note) = html::summary_note(report, labels) {
        layout.text(&note, 9.0, NOTE);
    }

    layout.heading(labels.get("alerts"), 14.0);
    if let Some(limit) = figures.truncated_at {
        let note = format::fill(
            labels.get("truncated_note"),
            &[("limit", limit.to_string())],
        );
        layout.text(&note, 9.0, NOTE);
    }
    let pair = |key: &str, value: String| vec![labels.get(key).to_string(), value];
    layout.table(
        &[
            labels.get("key").to_string(),
            labels.get("value").to_string(),
        ],
        &[
            pair("fired", figures.fired.to_string()),
            pair("escalated", figures.escalated.to_string()),
            pair("resolved", figures.resolved.to_string()),
            pair("transitions", figures.transitions.to_string()),
        ],
        &[3.0, 1.0],
    );
    layout.text(labels.get("over_time"), 11.0, TEXT);
    layout.bar_chart(&charts::over_time(report), 130.0);
    layout.text(labels.get("by_level"), 11.0, TEXT);
    let level_bars: Vec<Bar> = charts::by_level(report, labels);
    layout.table(
        &[
            labels.get("level").to_string(),
            labels.get("count").to_string(),
        ],
        &level_bars
            .iter()
            .map(|bar| vec![bar.label.clone(), bar.value.to_string()])
            .collect::<Vec<_>>(),
        &[3.0, 1.0],
    );

    layout.heading(labels.get("noisiest_rules"), 14.0);
    layout.table(
        &["rule", "fired", "transitions"].map(|key| labels.get(key).to_string()),
        &figures
            .noisiest_rules
            .iter()
            .map(|rule| {
                vec![
                    rule.rule.clone(),
                    rule.fired.to_string(),
                    rule.transitions.to_string(),
                ]
            })
            .collect::<Vec<_>>(),
        &[4.0, 1.0, 1.0],
    );

    layout.heading(labels.get("response_times"), 14.0);
    layout.table(
        &[
            labels.get("key").to_string(),
            labels.get("value").to_string(),
            String::new(),
        ],
        &[
            vec![
                labels.get("mtta").to_string(),
                format::duration(figures.mtta_s, labels),
                format!("{}: {}", labels.get("acknowledged"), figures.acknowledged),
            ],
            vec![
                labels.get("mttr").to_string(),
                format::duration(figures.mttr_s, labels),
                format!(
                    "{}: {}",
                    labels.get("resolved_incidents"),
                    figures.resolved_incidents
                ),
            ],
        ],
        &[3.0, 1.0, 2.0],
    );

    layout.heading(labels.get("notifications"), 14.0);
    layout.table(
        &["channel", "sent", "failed", "pending", "total"].map(|key| labels.get(key).to_string()),
        &figures
            .notifications
            .iter()
            .map(|channel| {
                vec![
                    channel.channel.clone(),
                    channel.sent.to_string(),
                    channel.failed.to_string(),
                    channel.pending.to_string(),
                    channel.total.to_string(),
                ]
            })
            .collect::<Vec<_>>(),
        &[3.0, 1.0, 1.0, 1.0, 1.0],
    );

    if !report.missing_sections.is_empty() {
        layout.heading(labels.get("missing_sections"), 14.0);
        for key in &report.missing_sections {
            layout.text(
                &format!("- {}", labels.get(&format!("section_{key}"))),
                10.0,
                MUTED,
            );
        }
    }
    layout
}
