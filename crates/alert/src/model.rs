//! The `model` rule kind: a rule that names an anomaly-detection method (or a trained model)
//! of the anomaly service and a series selector.
//!
//! The engine stays pure: it never calls the service. A runner outside (crate `analyzer`)
//! scores the selected series on an interval and feeds each point's score back as a sample of
//! the series `anomaly_score.score{rule=<rule id>, series=<scored series>}`; a model rule
//! takes exactly those samples, so its levels ("score > 0.9 for 2m") use the ordinary
//! condition, for-duration and hysteresis machinery.

use detectviz::{Labels, SeriesKey};
use serde::{Deserialize, Serialize};

/// Measurement of the score samples a model rule evaluates.
pub const ANOMALY_SCORE_MEASUREMENT: &str = "anomaly_score";
/// Field of the score samples.
pub const ANOMALY_SCORE_FIELD: &str = "score";
/// Tag naming the model rule a score belongs to.
pub const ANOMALY_SCORE_RULE_TAG: &str = "rule";
/// Tag naming the scored series (its `SeriesKey` display form).
pub const ANOMALY_SCORE_SERIES_TAG: &str = "series";

/// What the anomaly service is asked to do for a `model` rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSettings {
    /// A method of the service (`spc`, `ewma`, `robust_z`, `isolation_forest`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// A model trained with `POST /v1/train`, instead of a method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
    /// The method's parameters, passed through to the service.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub params: serde_json::Map<String, serde_json::Value>,
    /// How many of each series' latest points are sent per evaluation.
    #[serde(default = "default_model_points")]
    pub points: usize,
}

fn default_model_points() -> usize {
    120
}

/// The series key of the score of `scored_series` under the model rule `rule_id`.
pub fn anomaly_score_series(rule_id: &str, scored_series: &str) -> SeriesKey {
    let mut tags = Labels::new();
    tags.insert(ANOMALY_SCORE_RULE_TAG, rule_id);
    tags.insert(ANOMALY_SCORE_SERIES_TAG, scored_series);
    SeriesKey {
        measurement: ANOMALY_SCORE_MEASUREMENT.to_string(),
        tags,
        field: ANOMALY_SCORE_FIELD.to_string(),
    }
}

/// Whether a score sample belongs to the model rule `rule_id`.
pub fn is_score_of_rule(series: &SeriesKey, rule_id: &str) -> bool {
    series.measurement == ANOMALY_SCORE_MEASUREMENT
        && series.field == ANOMALY_SCORE_FIELD
        && series.tags.get(ANOMALY_SCORE_RULE_TAG) == Some(rule_id)
}
