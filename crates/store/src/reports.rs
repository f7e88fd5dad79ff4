//! The `reports` repository: one row per generated report (its kind, period, language and the
//! formats written). The report files live in the reporter's exports directory, named by id.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError};

/// The most reports one list returns.
pub const MAX_REPORTS_LIMIT: u32 = 1_000;

/// A generated report, as recorded after its files were written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRecord {
    /// Chosen by the reporter; also the stem of the exported file names.
    pub id: String,
    /// `daily`, `weekly` or `on_demand`.
    pub kind: String,
    pub title: String,
    /// `zh-TW` or `en`.
    pub language: String,
    pub period_from_ms: i64,
    pub period_to_ms: i64,
    /// The formats written, e.g. `["html", "csv", "pdf"]`.
    pub formats: Vec<String>,
    /// The llm backend that wrote the summary (`fallback` when the service was down).
    pub summary_backend: String,
    /// `scheduler:<name>` or the user who asked for it.
    pub created_by: String,
    pub created_at_ms: i64,
}

/// Repository over the `reports` table; get it with [`Store::reports`].
pub struct Reports<'store> {
    store: &'store Store,
}

/// `SELECT <every report column> FROM reports <tail>` as one static SQL string.
macro_rules! select_reports {
    ($tail:literal) => {
        concat!(
            "SELECT id, kind, title, language, period_from, period_to, formats, ",
            "summary_backend, created_by, created_at FROM reports ",
            $tail
        )
    };
}

impl<'store> Reports<'store> {
    pub(crate) fn new(store: &'store Store) -> Self {
        Reports { store }
    }

    /// Records a report; `Conflict` when the id is taken.
    pub async fn record(&self, report: &ReportRecord) -> Result<(), StoreError> {
        let formats = serde_json::Value::from(report.formats.clone()).to_string();
        sqlx::query(
            "INSERT INTO reports (id, kind, title, language, period_from, period_to, formats, \
             summary_backend, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&report.id)
        .bind(&report.kind)
        .bind(&report.title)
        .bind(&report.language)
        .bind(report.period_from_ms)
        .bind(report.period_to_ms)
        .bind(formats)
        .bind(&report.summary_backend)
        .bind(&report.created_by)
        .bind(report.created_at_ms)
        .execute(self.store.pool())
        .await
        .map_err(|error| StoreError::conflict_or(error, format!("report {}", report.id)))?;
        Ok(())
    }

    pub async fn get(&self, id: &str) -> Result<Option<ReportRecord>, StoreError> {
        let row = sqlx::query(select_reports!("WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        row.as_ref().map(report_from_row).transpose()
    }

    /// The latest `limit` reports, newest first.
    pub async fn list(&self, limit: u32) -> Result<Vec<ReportRecord>, StoreError> {
        let limit = i64::from(limit.min(MAX_REPORTS_LIMIT));
        let rows = sqlx::query(select_reports!("ORDER BY created_at DESC, id DESC LIMIT ?"))
            .bind(limit)
            .fetch_all(self.store.pool())
            .await?;
        rows.iter().map(report_from_row).collect()
    }
}

fn report_from_row(row: &AnyRow) -> Result<ReportRecord, StoreError> {
    let id: String = row.try_get("id")?;
    let formats_text: String = row.try_get("formats")?;
    let formats = StoreError::parse_json(&formats_text, || format!("report {id} formats"))?;
    Ok(ReportRecord {
        id,
        kind: row.try_get("kind")?,
        title: row.try_get("title")?,
        language: row.try_get("language")?,
        period_from_ms: row.try_get("period_from")?,
        period_to_ms: row.try_get("period_to")?,
        formats,
        summary_backend: row.try_get("summary_backend")?,
        created_by: row.try_get("created_by")?,
        created_at_ms: row.try_get("created_at")?,
    })
}
