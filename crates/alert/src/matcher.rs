//! Label matchers (`=`, `!=`, `=~`, `!~`) shared by rule selectors, silences,
//! maintenance windows and inhibition rules.
//!
//! Semantics follow Prometheus and Alertmanager: a missing label reads as the empty string,
//! and regular expressions are anchored at both ends (`=~ "pump-.*"` must match the whole
//! value). Regexes are compiled once, when the matcher is built or deserialised.

use std::fmt;

use detectviz::Labels;
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::AlertError;

/// How a matcher compares a label's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MatchOperator {
    #[serde(rename = "=")]
    Equal,
    #[serde(rename = "!=")]
    NotEqual,
    #[serde(rename = "=~")]
    RegexMatch,
    #[serde(rename = "!~")]
    RegexNoMatch,
}

impl MatchOperator {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOperator::Equal => "=",
            MatchOperator::NotEqual => "!=",
            MatchOperator::RegexMatch => "=~",
            MatchOperator::RegexNoMatch => "!~",
        }
    }

    fn is_regex(self) -> bool {
        matches!(
            self,
            MatchOperator::RegexMatch | MatchOperator::RegexNoMatch
        )
    }
}

/// The serialised form of a matcher: `{ name, op, value }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelMatcherSpec {
    pub name: String,
    pub op: MatchOperator,
    pub value: String,
}

/// One label matcher, with its regex compiled when it has one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "LabelMatcherSpec", into = "LabelMatcherSpec")]
pub struct LabelMatcher {
    pub name: String,
    pub op: MatchOperator,
    pub value: String,
    compiled: Option<Regex>,
}

impl PartialEq for LabelMatcher {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.op == other.op && self.value == other.value
    }
}

impl LabelMatcher {
    /// Builds a matcher, compiling and anchoring the regex for `=~` and `!~`.
    pub fn new(
        name: impl Into<String>,
        op: MatchOperator,
        value: impl Into<String>,
    ) -> Result<LabelMatcher, AlertError> {
        let name = name.into();
        let value = value.into();
        let compiled = if op.is_regex() {
            let anchored = format!("^(?:{value})$");
            let regex = Regex::new(&anchored).map_err(|error| AlertError::InvalidRegex {
                name: name.clone(),
                pattern: value.clone(),
                reason: error.to_string(),
            })?;
            Some(regex)
        } else {
            None
        };
        Ok(LabelMatcher {
            name,
            op,
            value,
            compiled,
        })
    }

    /// Shorthand for an `=` matcher, which cannot fail.
    pub fn equal(name: impl Into<String>, value: impl Into<String>) -> LabelMatcher {
        LabelMatcher {
            name: name.into(),
            op: MatchOperator::Equal,
            value: value.into(),
            compiled: None,
        }
    }

    /// Whether the label's value (empty when missing) satisfies this matcher.
    pub fn matches_value(&self, label_value: Option<&str>) -> bool {
        let label_value = label_value.unwrap_or("");
        match (self.op, &self.compiled) {
            (MatchOperator::Equal, _) => label_value == self.value,
            (MatchOperator::NotEqual, _) => label_value != self.value,
            (MatchOperator::RegexMatch, Some(regex)) => regex.is_match(label_value),
            (MatchOperator::RegexNoMatch, Some(regex)) => !regex.is_match(label_value),
            (MatchOperator::RegexMatch | MatchOperator::RegexNoMatch, None) => false,
        }
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.matches_value(labels.get(&self.name))
    }
}

/// Whether every matcher accepts the labels (an empty list accepts everything).
pub fn all_match(matchers: &[LabelMatcher], labels: &Labels) -> bool {
    matchers.iter().all(|matcher| matcher.matches(labels))
}

impl TryFrom<LabelMatcherSpec> for LabelMatcher {
    type Error = AlertError;

    fn try_from(spec: LabelMatcherSpec) -> Result<Self, Self::Error> {
        LabelMatcher::new(spec.name, spec.op, spec.value)
    }
}

impl From<LabelMatcher> for LabelMatcherSpec {
    fn from(matcher: LabelMatcher) -> Self {
        LabelMatcherSpec {
            name: matcher.name,
            op: matcher.op,
            value: matcher.value,
        }
    }
}

impl fmt::Display for LabelMatcher {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{}{}{:?}",
            self.name,
            self.op.as_str(),
            self.value
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Labels {
        [("device", "pump-12"), ("site", "tainan")]
            .into_iter()
            .collect()
    }

    #[test]
    fn each_operator_matches_as_prometheus_does() {
        let labels = labels();
        assert!(LabelMatcher::equal("site", "tainan").matches(&labels));
        assert!(!LabelMatcher::equal("site", "taipei").matches(&labels));
        let not_equal = LabelMatcher::new("site", MatchOperator::NotEqual, "taipei").unwrap();
        assert!(not_equal.matches(&labels));
        let regex = LabelMatcher::new("device", MatchOperator::RegexMatch, "pump-.*").unwrap();
        assert!(regex.matches(&labels));
        let negative = LabelMatcher::new("device", MatchOperator::RegexNoMatch, "pump-.*").unwrap();
        assert!(!negative.matches(&labels));
    }

    #[test]
    fn regexes_are_anchored_at_both_ends() {
        let partial = LabelMatcher::new("device", MatchOperator::RegexMatch, "pump").unwrap();
        assert!(!partial.matches(&labels()));
        let alternation =
            LabelMatcher::new("site", MatchOperator::RegexMatch, "tai|tainan").unwrap();
        assert!(alternation.matches(&labels()));
    }

    #[test]
    fn a_missing_label_reads_as_empty() {
        assert!(LabelMatcher::equal("rack", "").matches(&labels()));
        let absent = LabelMatcher::new("rack", MatchOperator::RegexMatch, ".+").unwrap();
        assert!(!absent.matches(&labels()));
    }

    #[test]
    fn invalid_regex_and_operator_are_named_in_the_error() {
        let error = LabelMatcher::new("device", MatchOperator::RegexMatch, "(").unwrap_err();
        assert!(error.to_string().contains("device"), "{error}");
        let parsed: Result<LabelMatcher, _> =
            serde_json::from_str(r#"{"name":"device","op":"~=","value":"x"}"#);
        assert!(parsed.is_err());
    }

    #[test]
    fn matchers_round_trip_through_json_with_their_regex_compiled() {
        let parsed: LabelMatcher =
            serde_json::from_str(r#"{"name":"device","op":"=~","value":"pump-[0-9]+"}"#).unwrap();
        assert!(parsed.matches(&labels()));
        let text = serde_json::to_string(&parsed).unwrap();
        assert_eq!(text, r#"{"name":"device","op":"=~","value":"pump-[0-9]+"}"#);
    }
}
