//! Alertmanager API v2 silence shapes (`POST /api/v2/silences`, `GET /api/v2/silences`) and
//! their conversion to and from [`Silence`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::alertmanager::datetime_from_ms;
use crate::silence::SilenceState;
use crate::{AlertError, LabelMatcher, MatchOperator, Silence};

/// A matcher as Alertmanager writes it: `isRegex` and `isEqual` instead of an operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiMatcher {
    pub name: String,
    pub value: String,
    pub is_regex: bool,
    #[serde(default = "default_is_equal")]
    pub is_equal: bool,
}

fn default_is_equal() -> bool {
    true
}

impl ApiMatcher {
    pub fn to_label_matcher(&self) -> Result<LabelMatcher, AlertError> {
        let op = match (self.is_regex, self.is_equal) {
            (false, true) => MatchOperator::Equal,
            (false, false) => MatchOperator::NotEqual,
            (true, true) => MatchOperator::RegexMatch,
            (true, false) => MatchOperator::RegexNoMatch,
        };
        LabelMatcher::new(self.name.clone(), op, self.value.clone())
    }

    pub fn from_label_matcher(matcher: &LabelMatcher) -> ApiMatcher {
        let (is_regex, is_equal) = match matcher.op {
            MatchOperator::Equal => (false, true),
            MatchOperator::NotEqual => (false, false),
            MatchOperator::RegexMatch => (true, true),
            MatchOperator::RegexNoMatch => (true, false),
        };
        ApiMatcher {
            name: matcher.name.clone(),
            value: matcher.value.clone(),
            is_regex,
            is_equal,
        }
    }
}

/// The `POST /api/v2/silences` body; `id` is set when updating an existing silence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostableSilence {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub matchers: Vec<ApiMatcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_by: String,
    pub comment: String,
}

impl PostableSilence {
    /// Converts to a [`Silence`] with the given id (the posted one, or a new one).
    pub fn to_silence(&self, id: String) -> Result<Silence, AlertError> {
        let invalid = |reason: &str| AlertError::InvalidSilence {
            reason: reason.to_string(),
        };
        if self.matchers.is_empty() {
            return Err(invalid("at least one matcher is required"));
        }
        if self.ends_at <= self.starts_at {
            return Err(invalid("endsAt must be after startsAt"));
        }
        if self.created_by.trim().is_empty() {
            return Err(invalid("createdBy is required"));
        }
        let matchers = self
            .matchers
            .iter()
            .map(ApiMatcher::to_label_matcher)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Silence {
            id,
            matchers,
            starts_at_ms: self.starts_at.timestamp_millis(),
            ends_at_ms: self.ends_at.timestamp_millis(),
            created_by: self.created_by.clone(),
            comment: self.comment.clone(),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SilenceStatus {
    pub state: SilenceState,
}

/// One element of the `GET /api/v2/silences` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GettableSilence {
    pub id: String,
    pub status: SilenceStatus,
    pub updated_at: DateTime<Utc>,
    pub matchers: Vec<ApiMatcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_by: String,
    pub comment: String,
}

impl GettableSilence {
    pub fn from_silence(silence: &Silence, updated_at_ms: i64, now_ms: i64) -> GettableSilence {
        GettableSilence {
            id: silence.id.clone(),
            status: SilenceStatus {
                state: silence.state(now_ms),
            },
            updated_at: datetime_from_ms(updated_at_ms),
            matchers: silence
                .matchers
                .iter()
                .map(ApiMatcher::from_label_matcher)
                .collect(),
            starts_at: datetime_from_ms(silence.starts_at_ms),
            ends_at: datetime_from_ms(silence.ends_at_ms),
            created_by: silence.created_by.clone(),
            comment: silence.comment.clone(),
        }
    }
}
