//! A report: its period and figures read from the store, and the LLM summary section.
//!
//! `generate` reads the store, computes the figures, asks the llm service for a summary of a
//! plain-text digest of them, and falls back to that digest (marked as such) when the service
//! cannot be reached. Sections whose data is not in the store yet are listed as missing.

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;

use crate::figures::{Figures, PeriodRows, compute};
use crate::language::{Labels, Language};
use crate::llm::LlmClient;
use crate::period::{Period, ReportKind};
use crate::{ReporterError, format};

/// How far before the period transitions are read to find when an episode started (MTTR).
pub const EPISODE_LOOKBACK_MS: i64 = 7 * 24 * 3_600_000;

/// The store's limit on transitions read for one report.
pub const EVENT_LIMIT: u32 = store::report_queries::MAX_REPORT_EVENTS;

/// Sections of the design that have no data in the store yet (their tables are being built).
pub const MISSING_SECTIONS: [&str; 3] = ["automation_runs", "device_availability", "anomalies"];

/// What to report on.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRequest {
    pub kind: ReportKind,
    pub period: Period,
    pub language: Language,
    /// `scheduler:<name>` or the user who asked.
    pub created_by: String,
}

/// Who wrote the summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummarySection {
    pub text: String,
    /// `ollama`, `openai`, `fallback` (the service's extractive fallback) or `reporter`
    /// (the service could not be reached; the text is the reporter's digest of the figures).
    pub backend: String,
    pub model: Option<String>,
    /// True unless a language model wrote the text.
    pub is_fallback: bool,
    /// Why the service was not used, when it was not.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub id: String,
    pub kind: ReportKind,
    pub language: Language,
    pub title: String,
    pub period: Period,
    pub generated_at_ms: i64,
    pub utc_offset_minutes: i32,
    pub figures: Figures,
    pub summary: SummarySection,
    pub missing_sections: Vec<String>,
}

impl Report {
    pub fn offset(&self) -> FixedOffset {
        crate::period::offset_from_minutes(self.utc_offset_minutes)
    }
}

/// Settings `generate` needs from the configuration.
#[derive(Debug, Clone)]
pub struct GenerateSettings {
    pub utc_offset_minutes: i32,
    pub top_rules: usize,
    pub labels: Labels,
}

/// Reads the period from the store, computes the figures and writes the summary.
pub async fn generate(
    store: &store::Store,
    llm: Option<&LlmClient>,
    request: &ReportRequest,
    settings: &GenerateSettings,
    now: DateTime<Utc>,
) -> Result<Report, ReporterError> {
    let rows = read_rows(store, request.period).await?;
    let figures = compute(request.period, &rows, settings.top_rules);
    let title_key = format!("title_{}", request.kind.as_str());
    let digest = format::digest(&figures, &settings.labels);
    let summary = summarize(llm, &digest, request.language).await;
    Ok(Report {
        id: report_id(request.kind, now),
        kind: request.kind,
        language: request.language,
        title: settings.labels.get(&title_key).to_string(),
        period: request.period,
        generated_at_ms: now.timestamp_millis(),
        utc_offset_minutes: settings.utc_offset_minutes,
        figures,
        summary,
        missing_sections: MISSING_SECTIONS.iter().map(|s| s.to_string()).collect(),
    })
}

/// `daily-20261125-070000-1a2b3c4d` (UTC): sortable, unique, and safe as a file name.
fn report_id(kind: ReportKind, now: DateTime<Utc>) -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "{}-{}-{}",
        kind.as_str().replace('_', "-"),
        now.format("%Y%m%d-%H%M%S"),
        &random[..8]
    )
}

async fn read_rows(store: &store::Store, period: Period) -> Result<PeriodRows, ReporterError> {
    let queries = store.report_queries();
    let lookback_from = period.from_ms - EPISODE_LOOKBACK_MS;
    let events = queries
        .alert_events(lookback_from, period.to_ms, EVENT_LIMIT)
        .await?;
    let truncated_at = (events.len() as u32 >= EVENT_LIMIT).then_some(EVENT_LIMIT);
    Ok(PeriodRows {
        events,
        acknowledgements: queries
            .acknowledgements(period.from_ms, period.to_ms)
            .await?,
        notifications: queries
            .notification_counts(period.from_ms, period.to_ms)
            .await?,
        truncated_at,
    })
}

async fn summarize(llm: Option<&LlmClient>, digest: &str, language: Language) -> SummarySection {
    let reporter_text = |error: Option<String>| SummarySection {
        text: digest.to_string(),
        backend: "reporter".to_string(),
        model: None,
        is_fallback: true,
        error,
    };
    let Some(llm) = llm else {
        return reporter_text(Some("no llm_url configured".to_string()));
    };
    match llm.summarize(digest, language, 5).await {
        Ok(summary) => SummarySection {
            is_fallback: summary.answer.is_fallback(),
            text: summary.summary,
            backend: summary.answer.backend,
            model: summary.answer.model,
            error: None,
        },
        Err(error) => {
            tracing::warn!(%error, "the llm service did not summarise the report");
            reporter_text(Some(error.to_string()))
        }
    }
}
