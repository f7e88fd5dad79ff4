//! Request and response bodies of the anomaly service's HTTP API (see
//! `services/anomaly/detectviz_anomaly/schemas.py`, the contract test keeps both in step).

use serde::{Deserialize, Serialize};

/// Method parameters, passed through unchanged.
pub type Params = serde_json::Map<String, serde_json::Value>;

/// One univariate series. Timestamps (Unix milliseconds), when given, match `values` 1:1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub series_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamps: Option<Vec<f64>>,
    pub values: Vec<f64>,
}

/// A multivariate frame for an asset group: one row per point, one value per column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    pub frame_id: String,
    pub columns: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamps: Option<Vec<f64>>,
    pub rows: Vec<Vec<f64>>,
}

/// `POST /v1/detect`: a batch of series (or a frame) scored by a method or a trained model.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DetectRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<Vec<Series>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame: Option<Frame>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Params::is_empty")]
    pub params: Params,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
}

/// Per-point results of one series, column-wise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesResult {
    pub series_id: String,
    #[serde(default)]
    pub timestamps: Option<Vec<serde_json::Value>>,
    /// In [0, 1].
    pub scores: Vec<f64>,
    pub flags: Vec<bool>,
    /// Why a point was flagged (`None` for points that were not).
    pub reasons: Vec<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectResponse {
    pub method: String,
    #[serde(default)]
    pub model_id: Option<String>,
    #[serde(default)]
    pub version: Option<u64>,
    pub results: Vec<SeriesResult>,
}

/// `POST /v1/train`: fits a model on a window of one series or a frame.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TrainRequest {
    pub name: String,
    pub method: String,
    #[serde(default, skip_serializing_if = "Params::is_empty")]
    pub params: Params,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<Vec<Series>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame: Option<Frame>,
    /// 0/1 per point, used only for the model's quality metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainResponse {
    pub model_id: String,
    pub version: u64,
}

/// `GET /v1/models/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub model_id: String,
    pub name: String,
    pub method: String,
    pub version: u64,
    pub params: Params,
    pub kind: String,
    #[serde(default)]
    pub columns: Option<Vec<String>>,
    pub created_at: String,
    pub updated_at: String,
    pub quality: std::collections::BTreeMap<String, f64>,
}

/// `PUT /v1/models/{id}/config`: params merged into the current ones; bumps the version.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ConfigUpdate {
    #[serde(default, skip_serializing_if = "Params::is_empty")]
    pub params: Params,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceHealth {
    pub status: String,
    pub models: u64,
    pub methods: Vec<String>,
}
