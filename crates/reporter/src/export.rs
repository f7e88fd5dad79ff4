//! The reporter: generates a report, writes its files to the exports directory (each written
//! to a temporary name and renamed, so a listed report is always whole) and records it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use krilla::text::Font;
use store::ReportRecord;

use crate::config::{Format, ReporterConfig};
use crate::language::{Labels, Language};
use crate::llm::LlmClient;
use crate::period::{Period, ReportKind};
use crate::report::{GenerateSettings, Report, ReportRequest, generate};
use crate::{ReporterError, csv, html, pdf};

/// Cheap to clone; shared by the API and the scheduler.
#[derive(Clone)]
pub struct Reporter {
    config: Arc<ReporterConfig>,
    store: store::Store,
    llm: Option<LlmClient>,
}

/// Fonts already read, by file and face: shared by every `Reporter` of the process (the
/// API makes one per request), so a 20 MB CJK font is read once.
static FONTS: OnceLock<Mutex<HashMap<(PathBuf, u32), Font>>> = OnceLock::new();

impl Reporter {
    /// Checks the configuration; the PDF font is read when the first PDF is made.
    pub fn new(config: ReporterConfig, store: store::Store) -> Result<Reporter, ReporterError> {
        config.validate()?;
        let llm = if config.llm_url.trim().is_empty() {
            None
        } else {
            let timeout = Duration::from_secs(config.llm_timeout_s);
            Some(LlmClient::new(&config.llm_url, timeout)?)
        };
        Ok(Reporter {
            config: Arc::new(config),
            store,
            llm,
        })
    }

    pub fn config(&self) -> &ReporterConfig {
        &self.config
    }

    pub fn store(&self) -> &store::Store {
        &self.store
    }

    /// Generates, exports and records one report.
    pub async fn generate(
        &self,
        kind: ReportKind,
        period: Period,
        language: Option<Language>,
        created_by: &str,
    ) -> Result<ReportRecord, ReporterError> {
        let language = language.unwrap_or(self.config.language);
        let labels = language.labels(Some(&self.config.templates_dir))?;
        let request = ReportRequest {
            kind,
            period,
            language,
            created_by: created_by.to_string(),
        };
        let settings = GenerateSettings {
            utc_offset_minutes: self.config.utc_offset_minutes,
            top_rules: self.config.top_rules,
            labels: labels.clone(),
        };
        let now = Utc::now();
        let report = generate(&self.store, self.llm.as_ref(), &request, &settings, now).await?;
        let font = if self.config.formats.contains(&Format::Pdf) {
            Some(self.font()?)
        } else {
            None
        };
        let exporter = self.clone();
        let written = {
            let report = report.clone();
            tokio::task::spawn_blocking(move || exporter.write_files(&report, &labels, font))
                .await
                .map_err(|error| ReporterError::Pdf(format!("export task failed: {error}")))??
        };
        let record = record_of(&report, &written, created_by, now);
        self.store.reports().record(&record).await?;
        tracing::info!(id = %record.id, kind = %record.kind, backend = %record.summary_backend, "report written");
        Ok(record)
    }

    /// Where the file of `id` in `format` is, when that report was recorded with it.
    pub async fn export_path(
        &self,
        id: &str,
        format: Format,
    ) -> Result<Option<PathBuf>, ReporterError> {
        if !is_report_id(id) {
            return Ok(None);
        }
        let Some(record) = self.store.reports().get(id).await? else {
            return Ok(None);
        };
        if !record.formats.iter().any(|f| f == format.extension()) {
            return Ok(None);
        }
        Ok(Some(self.file_path(id, format)))
    }

    fn file_path(&self, id: &str, format: Format) -> PathBuf {
        self.config
            .exports_dir
            .join(format!("{id}.{}", format.extension()))
    }

    fn font(&self) -> Result<Font, ReporterError> {
        let key = (
            self.config.pdf_font_path.clone(),
            self.config.pdf_font_index,
        );
        let fonts = FONTS.get_or_init(Mutex::default);
        let mut fonts = fonts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(font) = fonts.get(&key) {
            return Ok(font.clone());
        }
        let font = pdf::load_font(&key.0, key.1)?;
        fonts.insert(key, font.clone());
        Ok(font)
    }

    fn write_files(
        &self,
        report: &Report,
        labels: &Labels,
        font: Option<Font>,
    ) -> Result<Vec<Format>, ReporterError> {
        let directory = &self.config.exports_dir;
        std::fs::create_dir_all(directory).map_err(ReporterError::io(directory))?;
        let mut written = Vec::new();
        for format in &self.config.formats {
            let bytes = match (format, &font) {
                (Format::Html, _) => {
                    html::render(report, labels, Some(&self.config.templates_dir))?.into_bytes()
                }
                (Format::Csv, _) => csv::render(report).into_bytes(),
                (Format::Pdf, Some(font)) => pdf::render(report, labels, font)?,
                (Format::Pdf, None) => continue,
            };
            write_whole(&self.file_path(&report.id, *format), &bytes)?;
            written.push(*format);
        }
        Ok(written)
    }
}

/// Writes to `<path>.tmp` then renames, so readers never see half a file.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), ReporterError> {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, bytes).map_err(ReporterError::io(&temporary))?;
    std::fs::rename(&temporary, path).map_err(ReporterError::io(path))
}

/// Report ids are `[a-z0-9-]` only (see `report::report_id`): never a path.
pub fn is_report_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn record_of(
    report: &Report,
    formats: &[Format],
    created_by: &str,
    now: DateTime<Utc>,
) -> ReportRecord {
    ReportRecord {
        id: report.id.clone(),
        kind: report.kind.as_str().to_string(),
        title: report.title.clone(),
        language: report.language.code().to_string(),
        period_from_ms: report.period.from_ms,
        period_to_ms: report.period.to_ms,
        formats: formats.iter().map(|f| f.extension().to_string()).collect(),
        summary_backend: report.summary.backend.clone(),
        created_by: created_by.to_string(),
        created_at_ms: now.timestamp_millis(),
    }
}
