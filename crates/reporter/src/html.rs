//! HTML export: `report.html` (minijinja) from the templates directory or the built-in copy,
//! with the charts as inline SVG.

use std::path::Path;

use minijinja::value::Serde;
use minijinja::{Environment, Value, context};

use crate::chart::bar_chart_svg;
use crate::language::Labels;
use crate::period::format_local;
use crate::report::Report;
use crate::{ReporterError, charts, format};

const BUILT_IN_TEMPLATE: &str =
    include_str!("../../../conf/provisioning/templates/reporter/report.html");

/// Renders the report with `report.html` from `templates_dir` (or the built-in template).
pub fn render(
    report: &Report,
    labels: &Labels,
    templates_dir: Option<&Path>,
) -> Result<String, ReporterError> {
    let (name, source) = template_source(templates_dir)?;
    let mut environment = Environment::new();
    let template_error = |error: minijinja::Error| ReporterError::Template {
        name: name.clone(),
        reason: format!("{error:#}"),
    };
    environment
        .add_template_owned("report.html", source)
        .map_err(template_error)?;
    let template = environment
        .get_template("report.html")
        .map_err(template_error)?;
    template
        .render(html_context(report, labels))
        .map_err(template_error)
}

fn template_source(templates_dir: Option<&Path>) -> Result<(String, String), ReporterError> {
    if let Some(path) = templates_dir.map(|dir| dir.join("report.html"))
        && path.exists()
    {
        let text = std::fs::read_to_string(&path).map_err(ReporterError::io(&path))?;
        return Ok((path.display().to_string(), text));
    }
    Ok((
        "built-in report.html".to_string(),
        BUILT_IN_TEMPLATE.to_string(),
    ))
}

fn html_context(report: &Report, labels: &Labels) -> Value {
    let figures = &report.figures;
    let levels: Vec<Value> = figures
        .by_level
        .iter()
        .map(
            |count| context! { label => format::level(&count.level, labels), count => count.count },
        )
        .collect();
    let summary_note = summary_note(report, labels);
    let truncated_note = figures.truncated_at.map(|limit| {
        format::fill(
            labels.get("truncated_note"),
            &[("limit", limit.to_string())],
        )
    });
    context! {
        lang => report.language.code(),
        title => &report.title,
        labels => Value::from(Serde(labels)),
        period => format::period_line(report),
        generated_at => format_local(report.generated_at_ms, report.offset()),
        summary => Value::from(Serde(&report.summary)),
        summary_note => summary_note,
        figures => Value::from(Serde(figures)),
        levels => levels,
        mtta => format::duration(figures.mtta_s, labels),
        mttr => format::duration(figures.mttr_s, labels),
        over_time_svg => Value::from_safe_string(bar_chart_svg(
            labels.get("over_time"), &charts::over_time(report), 720.0, 180.0)),
        by_level_svg => Value::from_safe_string(bar_chart_svg(
            labels.get("by_level"), &charts::by_level(report, labels), 360.0, 160.0)),
        missing_sections => report.missing_sections.iter()
            .map(|key| labels.get(&format!("section_{key}")).to_string())
            .collect::<Vec<_>>(),
        truncated_note => truncated_note,
    }
}

/// Why the summary is not a model's, when it is not.
pub fn summary_note(report: &Report, labels: &Labels) -> Option<String> {
    match report.summary.backend.as_str() {
        "reporter" => Some(labels.get("summary_unreachable_note").to_string()),
        _ if report.summary.is_fallback => Some(labels.get("summary_fallback_note").to_string()),
        _ => None,
    }
}
