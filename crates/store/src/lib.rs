//! Detectviz storage: one `Store` over SQLite (embedded default) or MySQL/MariaDB.
//!
//! `Store::connect(url)` picks the backend from the URL (`sqlite://data/detectviz.db` or
//! `mysql://user:password@host/db`), `store.migrate()` applies the backend's migrations
//! (`migrations/sqlite`, `migrations/mysql`), and repositories hang off the store, one module
//! and one `Store` method each (`store.users()`, `store.alerts()`, `store.notifications()`,
//! ...). Rules and matchers are JSON documents the owning
//! crate (de)serializes; the store does not depend on it. SQL is portable between the two
//! backends: `?` placeholders, timestamps as BIGINT unix milliseconds, booleans as 0/1.
//!
//! Errors are one [`StoreError`]; [`StoreError::is_unavailable`] tells the web layer to answer
//! 503. The pool tests each connection before handing it out, so the store recovers on its own
//! when a lost database comes back.
//!
//! With the `testing` feature, `testing::TestDatabase` gives repository tests an isolated,
//! migrated database on either backend.

pub mod alert_analyses;
pub mod alert_events;
pub mod alert_rules;
pub mod alerts;
pub mod api_tokens;
pub mod audit;
pub mod automation_rules;
pub mod automation_runs;
pub mod contacts;
pub mod database_url;
pub mod devices;
pub mod error;
pub mod file_snapshots;
pub mod notifications;
pub mod oidc;
pub mod report_queries;
pub mod reports;
pub mod scans;
pub mod secrets;
pub mod sessions;
pub mod settings;
pub mod silences;
pub mod store;
pub mod tickets;
pub mod user_preferences;
pub mod users;

#[cfg(feature = "testing")]
pub mod testing;

pub use alert_analyses::{AlertAnalyses, AlertAnalysis};
pub use alert_events::{AlertEvent, AlertEvents, AlertTransitionRecord, NewAlertEvent};
pub use alert_rules::{AlertRuleRecord, AlertRuleSource, AlertRules, NewAlertRule};
pub use alerts::{AlertAcknowledgement, AlertFilter, AlertRecord, AlertStateRecord, Alerts};
pub use api_tokens::{ApiToken, ApiTokens, NewApiToken};
pub use audit::{AuditEntry, AuditLog, AuditQuery, NewAuditEntry};
pub use automation_rules::{AutomationRuleRecord, AutomationRules, NewAutomationRule};
pub use automation_runs::{
    AutomationRunFilter, AutomationRunRecord, AutomationRuns, FinishedAutomationRun,
    NewAutomationRun,
};
pub use contacts::{ContactRecord, Contacts, NewContact};
pub use database_url::{Backend, redact_url};
pub use devices::{DeviceObservation, DeviceRecord, Devices, SeenOutcome};
pub use error::StoreError;
pub use file_snapshots::{FileSnapshot, FileSnapshots};
pub use notifications::{
    DeliveryStatus, DueGroup, NewNotification, NotificationClaim, NotificationFilter,
    NotificationRecord, Notifications,
};
pub use oidc::{Oidc, OidcSession, SealedRefreshToken};
pub use report_queries::{
    ReportAcknowledgement, ReportAlertEvent, ReportNotificationCount, ReportQueries,
};
pub use reports::{ReportRecord, Reports};
pub use scans::{NewScan, ScanRecord, ScanSummary, Scans};
pub use secrets::{SealedSecret, Secrets};
pub use sessions::{NewSession, Session, SessionUser, SessionWithUser, Sessions};
pub use settings::{Setting, Settings};
pub use silences::{NewSilence, SilenceRecord, Silences};
pub use store::Store;
pub use tickets::{NewTicket, TicketClaim, TicketRecord, Tickets};
pub use user_preferences::{UserPreferences, UserPreferencesRepository};
pub use users::{NewUser, User, Users};
