//! Alert rules: which series a rule watches, what it computes from them, and the levels
//! (Info / Warning / Critical) at which it fires and recovers.
//!
//! Rules load from TOML (`[[rules]]` tables) or JSON (the store's CRUD API) with unknown keys
//! rejected, then [`Rule::validate`] names the rule and the field of anything unusable.
//!
//! For every kind the levels compare one number, the rule's *value*:
//! - `threshold`, `range`: the sample's value;
//! - `absent`: seconds since the series' last sample, once that reaches `for_s`;
//! - `rate_of_change`: change per second over `window_s`;
//! - `z_score`: `|z|` of the sample against the previous `window` samples;
//! - `ewma`: distance of the EWMA from the running mean, in EWMA standard deviations;
//! - `spc`: how many of the chosen Western Electric rules the latest samples violate;
//! - `model`: the anomaly service's score in [0, 1] for the selected series, fed back as
//!   samples by the analyzer runner (see [`crate::model`]).

use std::collections::BTreeMap;

use detectviz::{Labels, Severity};
use serde::{Deserialize, Serialize};

use crate::model::ModelSettings;
use crate::{AlertError, CelFilter, Condition, LabelMatcher};

/// One alert rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub selector: SeriesSelector,
    #[serde(default)]
    pub kind: RuleKind,
    #[serde(default)]
    pub levels: Vec<Level>,
    #[serde(default)]
    pub labels: Labels,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flap: Option<FlapPolicy>,
}

/// Which series a rule evaluates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesSelector {
    pub measurement: String,
    pub field: String,
    #[serde(default)]
    pub matchers: Vec<LabelMatcher>,
    /// A CEL expression over `measurement`, `field` and `tags`, see [`crate::filter`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<CelFilter>,
}

/// What a rule computes from the samples before comparing with its levels.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RuleKind {
    /// Compare each sample's value.
    #[default]
    Threshold,
    /// Compare each sample's value with `inside` / `outside` range conditions.
    Range,
    /// No sample for `for_s` seconds, for a series seen before.
    Absent(AbsentSettings),
    /// Change per second over a window.
    RateOfChange(RateOfChangeSettings),
    /// `|z|` against a rolling window.
    ZScore(ZScoreSettings),
    /// Exponentially weighted moving average deviation, in sigmas.
    Ewma(EwmaSettings),
    /// Count of Western Electric rule violations.
    Spc(SpcSettings),
    /// Anomaly score from the anomaly service (method or trained model), see [`crate::model`].
    Model(ModelSettings),
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbsentSettings {
    pub for_s: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateOfChangeSettings {
    pub window_s: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZScoreSettings {
    /// Number of previous samples forming the baseline.
    pub window: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EwmaSettings {
    /// Smoothing weight of the newest sample, in (0, 1].
    pub lambda: f64,
    /// Samples used to learn the mean and deviation before the statistic is reported.
    #[serde(default = "default_ewma_warmup")]
    pub warmup: usize,
}

fn default_ewma_warmup() -> usize {
    20
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpcSettings {
    /// Number of samples forming the baseline (centre line and sigma).
    pub window: usize,
    pub rules: Vec<WesternElectricRule>,
}

/// The four Western Electric zone rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum WesternElectricRule {
    /// One point beyond 3 sigma.
    #[serde(rename = "we1")]
    OneBeyondThreeSigma,
    /// Two of three consecutive points beyond 2 sigma, same side.
    #[serde(rename = "we2")]
    TwoOfThreeBeyondTwoSigma,
    /// Four of five consecutive points beyond 1 sigma, same side.
    #[serde(rename = "we3")]
    FourOfFiveBeyondOneSigma,
    /// Eight consecutive points on the same side of the centre line.
    #[serde(rename = "we4")]
    EightOnOneSide,
}

/// One level of a rule: fire at `condition`, recover at `recovery` (default: not condition).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub severity: Severity,
    /// Required except for `absent` rules, where it may test the seconds without data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<Condition>,
    /// How long the condition must hold before the level fires.
    #[serde(default)]
    pub for_s: u64,
}

/// Too many changes within `window_s` marks the alert flapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlapPolicy {
    pub max_changes: u32,
    pub window_s: u64,
}

/// The file form: `[[rules]]` tables.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// A sample rule file with one rule of each kind (`crates/alert/rules.sample.toml`).
pub const SAMPLE_RULES_TOML: &str = include_str!("../rules.sample.toml");

/// Parses and validates a TOML rule file; rule ids must be unique.
pub fn parse_rules_toml(text: &str) -> Result<Vec<Rule>, AlertError> {
    let file: RuleFile = toml::from_str(text).map_err(|error| AlertError::Parse {
        format: "toml",
        message: error.to_string(),
    })?;
    validate_rules(&file.rules)?;
    Ok(file.rules)
}

/// Parses and validates one rule in JSON (the CRUD API's body).
pub fn parse_rule_json(text: &str) -> Result<Rule, AlertError> {
    let rule: Rule = serde_json::from_str(text).map_err(|error| AlertError::Parse {
        format: "json",
        message: error.to_string(),
    })?;
    rule.validate()?;
    Ok(rule)
}

/// Validates every rule and checks that ids are unique.
pub fn validate_rules(rules: &[Rule]) -> Result<(), AlertError> {
    let mut seen_ids = std::collections::BTreeSet::new();
    for rule in rules {
        rule.validate()?;
        if !seen_ids.insert(rule.id.as_str()) {
            return Err(rule.invalid("id", "is used by another rule"));
        }
    }
    Ok(())
}

impl Rule {
    fn invalid(&self, field: impl Into<String>, reason: impl Into<String>) -> AlertError {
        let rule = if self.id.is_empty() {
            self.name.clone()
        } else {
            self.id.clone()
        };
        AlertError::InvalidRule {
            rule,
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Checks everything serde cannot: names, numbers, level consistency.
    pub fn validate(&self) -> Result<(), AlertError> {
        if self.id.trim().is_empty() {
            return Err(self.invalid("id", "must not be empty"));
        }
        if self.name.trim().is_empty() {
            return Err(self.invalid("name", "must not be empty"));
        }
        if self.selector.measurement.is_empty() {
            return Err(self.invalid("selector.measurement", "must not be empty"));
        }
        if self.selector.field.is_empty() {
            return Err(self.invalid("selector.field", "must not be empty"));
        }
        self.validate_kind()?;
        self.validate_levels()?;
        if let Some(flap) = self.flap {
            if flap.max_changes == 0 {
                return Err(self.invalid("flap.max_changes", "must be at least 1"));
            }
            if flap.window_s == 0 {
                return Err(self.invalid("flap.window_s", "must be at least 1"));
            }
        }
        Ok(())
    }

    fn validate_kind(&self) -> Result<(), AlertError> {
        match &self.kind {
            RuleKind::Threshold | RuleKind::Range => Ok(()),
            RuleKind::Absent(settings) if settings.for_s == 0 => {
                Err(self.invalid("kind.for_s", "must be at least 1"))
            }
            RuleKind::Absent(_) => Ok(()),
            RuleKind::RateOfChange(settings) if settings.window_s == 0 => {
                Err(self.invalid("kind.window_s", "must be at least 1"))
            }
            RuleKind::RateOfChange(_) => Ok(()),
            RuleKind::ZScore(settings) if settings.window < 2 => {
                Err(self.invalid("kind.window", "must be at least 2"))
            }
            RuleKind::ZScore(_) => Ok(()),
            RuleKind::Ewma(settings) => {
                if !(settings.lambda > 0.0 && settings.lambda <= 1.0) {
                    return Err(self.invalid("kind.lambda", "must be in (0, 1]"));
                }
                if settings.warmup < 2 {
                    return Err(self.invalid("kind.warmup", "must be at least 2"));
                }
                Ok(())
            }
            RuleKind::Spc(settings) => {
                if settings.window < 2 {
                    return Err(self.invalid("kind.window", "must be at least 2"));
                }
                if settings.rules.is_empty() {
                    return Err(self.invalid("kind.rules", "must name at least one of we1..we4"));
                }
                Ok(())
            }
            RuleKind::Model(settings) => self.validate_model(settings),
        }
    }

    fn validate_model(&self, settings: &ModelSettings) -> Result<(), AlertError> {
        match (&settings.method, &settings.model_id) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(self.invalid("kind.method", "give exactly one of method or model_id"));
            }
            (Some(method), None) if method.trim().is_empty() => {
                return Err(self.invalid("kind.method", "must not be empty"));
            }
            (None, Some(model_id)) if model_id.trim().is_empty() => {
                return Err(self.invalid("kind.model_id", "must not be empty"));
            }
            _ => {}
        }
        if settings.points < 2 {
            return Err(self.invalid("kind.points", "must be at least 2"));
        }
        Ok(())
    }

    fn validate_levels(&self) -> Result<(), AlertError> {
        if self.levels.is_empty() {
            return Err(self.invalid("levels", "must have at least one level"));
        }
        let is_absent = matches!(self.kind, RuleKind::Absent(_));
        let is_range = matches!(self.kind, RuleKind::Range);
        for (index, level) in self.levels.iter().enumerate() {
            let duplicate = self.levels[..index]
                .iter()
                .any(|earlier| earlier.severity == level.severity);
            if duplicate {
                let reason = format!("repeats severity {}", level.severity);
                return Err(self.invalid(format!("levels[{index}].severity"), reason));
            }
            let field = |name: &str| format!("levels[{index}].{name}");
            match &level.condition {
                None if !is_absent => {
                    return Err(self.invalid(field("condition"), "is required"));
                }
                None => {}
                Some(condition) => {
                    if let Some(problem) = condition.problem() {
                        return Err(self.invalid(field("condition"), problem));
                    }
                    if is_range && !condition.is_range() {
                        let reason = "must be `inside` or `outside` for a range rule";
                        return Err(self.invalid(field("condition"), reason));
                    }
                }
            }
            let Some(recovery) = &level.recovery else {
                continue;
            };
            if is_absent {
                let reason = "is not allowed on an absent rule (a sample recovers it)";
                return Err(self.invalid(field("recovery"), reason));
            }
            if let Some(problem) = recovery.problem() {
                return Err(self.invalid(field("recovery"), problem));
            }
        }
        Ok(())
    }
}
