//! Detectviz alert engine core.
//!
//! Everything here is pure: no clock, no IO, no randomness. [`evaluate`] turns rules, a batch
//! of samples, the engine state and the caller's `now` into lifecycle transitions; a runner
//! elsewhere calls it on every batch and on a tick, publishes the transitions on `dv:alerts`
//! and writes them to the history. Silences, maintenance windows, inhibition and
//! acknowledgements are predicates the notification pipeline asks. [`alertmanager`] holds the
//! Alertmanager API v2 shapes and the state machine for alerts pushed by Prometheus or Grafana.
//!
//! ```
//! use alert::{EngineState, TransitionKind, evaluate, parse_rules_toml};
//! use detectviz::{Sample, SeriesKey};
//!
//! let rules = parse_rules_toml(r#"
//!     [[rules]]
//!     id = "boiler-hot"
//!     name = "BoilerHot"
//!     selector = { measurement = "modbus", field = "temp_c" }
//!     [[rules.levels]]
//!     severity = "critical"
//!     condition = { op = ">", value = 90 }
//!     recovery = { op = "<", value = 85 }
//! "#)?;
//! let series = SeriesKey {
//!     measurement: "modbus".into(),
//!     tags: [("device", "boiler-1")].into_iter().collect(),
//!     field: "temp_c".into(),
//! };
//! let sample = Sample { series, timestamp_ms: 1_000, value: 93.5 };
//! let mut state = EngineState::new();
//! let transitions = evaluate(&rules, &[sample], &mut state, 1_000);
//! assert_eq!(transitions[0].kind, TransitionKind::Firing);
//! assert_eq!(transitions[0].labels.get("alertname"), Some("BoilerHot"));
//! # Ok::<(), alert::AlertError>(())
//! ```

pub mod ack;
pub mod alertmanager;
pub mod alertmanager_silence;
pub mod condition;
pub mod error;
pub mod evaluate;
pub mod filter;
pub mod fingerprint;
pub mod inhibit;
mod lifecycle;
pub mod maintenance;
pub mod matcher;
pub mod model;
pub mod mute;
pub mod recorder;
pub mod rule;
pub mod runner;
pub mod silence;
pub mod state;
mod statistic;

pub use ack::Acknowledgement;
pub use alertmanager::{
    AlertStatus, AlertStatusState, ExternalAlert, ExternalAlerts, GettableAlert, PostableAlert,
    Receiver,
};
pub use alertmanager_silence::{ApiMatcher, GettableSilence, PostableSilence, SilenceStatus};
pub use condition::{Bound, Bounds, Condition};
pub use detectviz::{AlertPhase, AlertTransition as Transition, TransitionKind};
pub use error::AlertError;
pub use evaluate::{RuleIndex, evaluate, evaluate_indexed};
pub use filter::CelFilter;
pub use fingerprint::{fingerprint_hex, label_set_fingerprint, rule_series_fingerprint};
pub use inhibit::InhibitRule;
pub use maintenance::{MaintenanceWindow, TimeOfDay};
pub use matcher::{LabelMatcher, MatchOperator};
pub use model::{ModelSettings, anomaly_score_series};
pub use mute::{MuteReason, mute_reason};
pub use rule::{
    FlapPolicy, Level, Rule, RuleFile, RuleKind, SeriesSelector, WesternElectricRule,
    parse_rule_json, parse_rules_toml, validate_rules,
};
pub use silence::{Silence, SilenceState};
pub use state::{AlertState, EngineSnapshot, EngineState};
