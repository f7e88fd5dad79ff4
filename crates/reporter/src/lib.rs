//! Detectviz reporter (the spec's reporter: generator + exporter).
//!
//! Daily, weekly and on-demand reports from the store: alert history (fired, escalated,
//! resolved, per level, over time), the noisiest rules, MTTA and MTTR, notification results per
//! channel, and a summary written by `services/llm` (the reporter's own digest of the figures,
//! marked as such, when the service is down). Exported to the exports directory as HTML
//! (minijinja template, charts as inline SVG), CSV (UTF-8 with BOM) and PDF (krilla with an
//! embedded subset CJK font: Traditional Chinese without a browser), and recorded in the
//! store's `reports` table. `runner` fires the cron schedules.
//!
//! Sections the design asks for whose data is not in the store yet (automation runs, device
//! availability, anomaly results) are listed in every report as missing; each is a new
//! `figures` field and a template block when its table lands.

pub mod chart;
pub mod charts;
pub mod config;
pub mod csv;
pub mod error;
pub mod export;
pub mod figures;
pub mod format;
pub mod html;
pub mod language;
pub mod llm;
pub mod pdf;
pub mod pdf_layout;
pub mod period;
pub mod report;
pub mod runner;

pub use config::{Format, ReporterConfig, ScheduleConfig};
pub use error::ReporterError;
pub use export::Reporter;
pub use language::Language;
pub use llm::{Analysis, LlmAnswer, LlmClient, Summary};
pub use period::{Period, ReportKind};
pub use runner::run_scheduler;
