//! Detectviz shared domain types.
//!
//! This crate holds only plain data that every other crate agrees on: alert severities,
//! label sets, the event envelope carried on the bus, and process roles. It does no IO and
//! depends on nothing inside the workspace, so every crate may depend on it.

pub mod alert;
pub mod event;
pub mod labels;
pub mod role;
pub mod sample;
pub mod secret;
pub mod severity;
pub mod signature;
pub mod text;

pub use alert::{AlertPhase, AlertTransition, TransitionKind};
pub use event::{EVENT_SCHEMA_VERSION, Event, EventError};
pub use labels::Labels;
pub use role::Role;
pub use sample::{Sample, SeriesKey};
pub use secret::Secret;
pub use severity::Severity;

/// The version of the running build, from Cargo.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
