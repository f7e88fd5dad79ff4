//! HTTP routes, one router per feature.

pub mod health;
pub mod metrics;
