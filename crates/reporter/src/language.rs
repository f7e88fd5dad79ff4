//! The report languages and their labels (`conf/provisioning/templates/reporter/labels.*.toml`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::ReporterError;

/// The languages reports are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Language {
    #[default]
    #[serde(rename = "zh-TW")]
    ZhTw,
    #[serde(rename = "en")]
    En,
}

const ZH_TW_LABELS: &str =
    include_str!("../../../conf/provisioning/templates/reporter/labels.zh-TW.toml");
const EN_LABELS: &str =
    include_str!("../../../conf/provisioning/templates/reporter/labels.en.toml");

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Language::ZhTw => "zh-TW",
            Language::En => "en",
        }
    }

    pub fn parse(text: &str) -> Result<Language, ReporterError> {
        match text {
            "zh-TW" => Ok(Language::ZhTw),
            "en" => Ok(Language::En),
            other => Err(ReporterError::InvalidRequest(format!(
                "language: {other:?} is not one of zh-TW, en"
            ))),
        }
    }

    /// The labels of this language: `labels.<code>.toml` in `templates_dir` when it exists,
    /// else the copy built into the binary.
    pub fn labels(self, templates_dir: Option<&Path>) -> Result<Labels, ReporterError> {
        let file_name = format!("labels.{}.toml", self.code());
        let (name, text) = match templates_dir.map(|dir| dir.join(&file_name)) {
            Some(path) if path.exists() => {
                let text = std::fs::read_to_string(&path).map_err(ReporterError::io(&path))?;
                (path.display().to_string(), text)
            }
            _ => {
                let built_in = match self {
                    Language::ZhTw => ZH_TW_LABELS,
                    Language::En => EN_LABELS,
                };
                (format!("built-in {file_name}"), built_in.to_string())
            }
        };
        let entries: BTreeMap<String, String> =
            toml::from_str(&text).map_err(|error| ReporterError::Template {
                name,
                reason: error.to_string(),
            })?;
        Ok(Labels { entries })
    }
}

/// Translated words of a report, by key (`title_daily`, `alerts`, `mtta`, ...).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Labels {
    entries: BTreeMap<String, String>,
}

impl Labels {
    /// The label for `key`, or the key itself when the file lacks it (visible, never a panic).
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.entries.get(key).map(String::as_str).unwrap_or(key)
    }
}
