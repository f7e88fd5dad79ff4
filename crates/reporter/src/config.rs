//! The `[reporter]` configuration section: where reports go, which llm service writes the
//! summary, the PDF font, and the cron schedules of the daily and weekly reports.

use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ReporterError;
use crate::language::Language;
use crate::period::ReportKind;

/// A sample `[reporter]` section with every key (parsed by a test).
pub const SAMPLE_CONFIG: &str = include_str!("../reporter.sample.toml");

/// The file formats a report is exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Html,
    Csv,
    Pdf,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Html, Format::Csv, Format::Pdf];

    pub fn extension(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Csv => "csv",
            Format::Pdf => "pdf",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Pdf => "application/pdf",
        }
    }

    pub fn parse(text: &str) -> Result<Format, ReporterError> {
        Format::ALL
            .into_iter()
            .find(|format| format.extension() == text)
            .ok_or_else(|| {
                ReporterError::InvalidRequest(format!(
                    "format: {text:?} is not one of html, csv, pdf"
                ))
            })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReporterConfig {
    /// Where report files are written (`<id>.html`, `<id>.csv`, `<id>.pdf`).
    pub exports_dir: PathBuf,
    /// `report.html` and `labels.<language>.toml`; a missing file falls back to the built-in one.
    pub templates_dir: PathBuf,
    /// Base URL of services/llm; empty: the reporter writes the summary from the figures.
    pub llm_url: String,
    /// Bound on each llm call, in seconds.
    pub llm_timeout_s: u64,
    /// Language of scheduled reports and of on-demand reports that do not name one.
    pub language: Language,
    /// The site's offset from UTC: day and week boundaries and the times printed use it.
    pub utc_offset_minutes: i32,
    /// A TrueType or OpenType font with the CJK glyphs (a `.ttc` collection is fine).
    pub pdf_font_path: PathBuf,
    /// The face inside a font collection.
    pub pdf_font_index: u32,
    /// The formats written for every report.
    pub formats: Vec<Format>,
    /// How many rules the "noisiest rules" table lists.
    pub top_rules: usize,
    /// Scheduled reports; none means on-demand only.
    pub schedules: Vec<ScheduleConfig>,
}

impl Default for ReporterConfig {
    fn default() -> Self {
        ReporterConfig {
            exports_dir: PathBuf::from("data/exports"),
            templates_dir: PathBuf::from("conf/provisioning/templates/reporter"),
            llm_url: "http://127.0.0.1:8091".to_string(),
            llm_timeout_s: 60,
            language: Language::ZhTw,
            utc_offset_minutes: 0,
            pdf_font_path: PathBuf::from("/usr/share/fonts/truetype/arphic/uming.ttc"),
            pdf_font_index: 2,
            formats: Format::ALL.to_vec(),
            top_rules: 10,
            schedules: vec![
                ScheduleConfig {
                    name: "daily".to_string(),
                    cron: "0 7 * * *".to_string(),
                    kind: ReportKind::Daily,
                    language: None,
                },
                ScheduleConfig {
                    name: "weekly".to_string(),
                    cron: "0 7 * * Mon".to_string(),
                    kind: ReportKind::Weekly,
                    language: None,
                },
            ],
        }
    }
}

/// One scheduled report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    /// Unique; reports it makes are created by `scheduler:<name>`.
    pub name: String,
    /// Five fields (minute hour day-of-month month day-of-week) or six with seconds first,
    /// in the site's time (`utc_offset_minutes`).
    pub cron: String,
    /// `daily` (the previous day) or `weekly` (the previous Monday-to-Monday week).
    pub kind: ReportKind,
    /// Defaults to the section's `language`.
    #[serde(default)]
    pub language: Option<Language>,
}

impl ScheduleConfig {
    /// The parsed cron expression; five-field expressions get a leading `0` seconds field.
    pub fn schedule(&self) -> Result<cron::Schedule, ReporterError> {
        let fields = self.cron.split_whitespace().count();
        let expression = if fields == 5 {
            format!("0 {}", self.cron)
        } else {
            self.cron.clone()
        };
        cron::Schedule::from_str(&expression).map_err(|error| ReporterError::Config {
            key: format!("schedules[{}].cron", self.name),
            reason: format!("{:?} is not a cron expression: {error}", self.cron),
        })
    }
}

impl ReporterConfig {
    /// Checks what serde cannot: cron expressions, unique schedule names, kinds, the offset.
    pub fn validate(&self) -> Result<(), ReporterError> {
        let invalid = |key: &str, reason: String| ReporterError::Config {
            key: key.to_string(),
            reason,
        };
        if self.utc_offset_minutes.abs() > 14 * 60 {
            return Err(invalid(
                "utc_offset_minutes",
                format!("{} is beyond ±840", self.utc_offset_minutes),
            ));
        }
        if self.formats.is_empty() {
            return Err(invalid("formats", "must name at least one format".into()));
        }
        if self.llm_timeout_s == 0 {
            return Err(invalid("llm_timeout_s", "must be at least 1".into()));
        }
        let mut names = std::collections::BTreeSet::new();
        for schedule in &self.schedules {
            if !names.insert(schedule.name.as_str()) {
                return Err(invalid(
                    "schedules",
                    format!("the name {:?} is used twice", schedule.name),
                ));
            }
            if schedule.kind == ReportKind::OnDemand {
                return Err(invalid(
                    &format!("schedules[{}].kind", schedule.name),
                    "must be daily or weekly".into(),
                ));
            }
            schedule.schedule()?;
        }
        Ok(())
    }
}
