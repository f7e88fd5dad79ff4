//! Alertmanager API v2 compatibility: `/api/v2/alerts` and `/api/v2/silences`, so Prometheus
//! and Grafana can use Detectviz as their Alertmanager.
//!
//! `POST /api/v2/alerts` feeds the alert runner's external alerts; like Alertmanager it keeps
//! the valid alerts of a batch and answers 400 for the invalid ones (naming each index and
//! reason). `GET /api/v2/alerts` lists the alerts that are still firing, marked `suppressed`
//! when an active silence matches. Silences live in the store, their matchers as JSON in
//! Alertmanager's `{name, value, isRegex, isEqual}` shape; expiring one is final.

use alert::runner::now_ms;
use alert::{
    ApiMatcher, ExternalAlert, GettableAlert, GettableSilence, LabelMatcher, MatchOperator,
    PostableAlert, PostableSilence, Silence, SilenceState,
};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;
use serde_json::json;

use crate::auth::{Access, UserRole};
use crate::error::AppError;
use crate::routes::book::RouteBook;
use crate::state::AppState;

/// The receiver every alert is reported with: Detectviz routes notifications itself.
pub const RECEIVER_NAME: &str = "detectviz";

pub fn add_routes(book: RouteBook) -> RouteBook {
    let viewer = Access::Role(UserRole::Viewer);
    let operator = Access::Role(UserRole::Operator);
    book.add(
        Method::POST,
        "/api/v2/alerts",
        Access::WriteMetrics,
        post_alerts,
    )
    .add(Method::GET, "/api/v2/alerts", viewer, get_alerts)
    .add(Method::GET, "/api/v2/silences", viewer, list_silences)
    .add(Method::POST, "/api/v2/silences", operator, post_silence)
    .add(Method::GET, "/api/v2/silence/{id}", viewer, get_silence)
    .add(
        Method::DELETE,
        "/api/v2/silence/{id}",
        operator,
        expire_silence,
    )
}

/// One alert of a posted batch that was not taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedAlert {
    /// Position in the posted array, from 0.
    pub index: usize,
    pub reason: String,
}

async fn post_alerts(State(state): State<AppState>, body: Bytes) -> Result<Response, AppError> {
    let posted: Vec<PostableAlert> = serde_json::from_slice(&body).map_err(|error| {
        AppError::bad_request(format!("body must be a JSON array of alerts: {error}"))
    })?;
    let rejected = state
        .alerts
        .on_external_alerts(&posted, now_ms())
        .await
        .map_err(|error| {
            AppError::unavailable(format!(
                "alerts were taken but their transitions wait for the event bus: {error}"
            ))
        })?;
    if rejected.is_empty() {
        return Ok(StatusCode::OK.into_response());
    }
    let rejected: Vec<RejectedAlert> = rejected
        .into_iter()
        .map(|(index, error)| RejectedAlert {
            index,
            reason: error.to_string(),
        })
        .collect();
    let accepted = posted.len() - rejected.len();
    let named: Vec<String> = rejected
        .iter()
        .map(|rejection| format!("alert {}: {}", rejection.index, rejection.reason))
        .collect();
    let body = json!({
        "error": {
            "code": "invalid_alerts",
            "message": format!("{} of {} alerts rejected: {}", rejected.len(), posted.len(), named.join("; ")),
        },
        "accepted": accepted,
        "rejected": rejected,
    });
    Ok((StatusCode::BAD_REQUEST, Json(body)).into_response())
}

/// `GET /api/v2/alerts` query parameters, as Alertmanager names them.
#[derive(Debug)]
struct AlertListFilter {
    active: bool,
    silenced: bool,
    inhibited: bool,
    unprocessed: bool,
    matchers: Vec<LabelMatcher>,
    receiver: Option<LabelMatcher>,
}

impl AlertListFilter {
    fn from_uri(uri: &Uri) -> Result<AlertListFilter, AppError> {
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(uri)
            .map_err(|rejection| AppError::bad_request(rejection.body_text()))?;
        let mut filter = AlertListFilter {
            active: true,
            silenced: true,
            inhibited: true,
            unprocessed: true,
            matchers: Vec::new(),
            receiver: None,
        };
        for (name, value) in pairs {
            match name.as_str() {
                "active" => filter.active = parse_flag(&name, &value)?,
                "silenced" => filter.silenced = parse_flag(&name, &value)?,
                "inhibited" => filter.inhibited = parse_flag(&name, &value)?,
                "unprocessed" => filter.unprocessed = parse_flag(&name, &value)?,
                "filter" => filter.matchers.extend(parse_matchers(&value)?),
                "receiver" => {
                    let matcher =
                        LabelMatcher::new("receiver", MatchOperator::RegexMatch, value)
                            .map_err(|error| AppError::bad_request(format!("receiver: {error}")))?;
                    filter.receiver = Some(matcher);
                }
                _ => {}
            }
        }
        Ok(filter)
    }

    fn keeps(&self, alert: &GettableAlert) -> bool {
        let by_state = if !alert.status.silenced_by.is_empty() {
            self.silenced
        } else if !alert.status.inhibited_by.is_empty() {
            self.inhibited
        } else {
            self.active
        };
        let receiver_labels = [("receiver", RECEIVER_NAME)].into_iter().collect();
        let by_receiver = self
            .receiver
            .as_ref()
            .is_none_or(|matcher| matcher.matches(&receiver_labels));
        by_state
            && by_receiver
            && self
                .matchers
                .iter()
                .all(|matcher| matcher.matches(&alert.labels))
    }
}

fn parse_flag(name: &str, value: &str) -> Result<bool, AppError> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(AppError::bad_request(format!(
            "{name}: expected true or false, got {value:?}"
        ))),
    }
}

/// Parses one `filter` value: `alertname="X"`, `severity=~"crit.*"`, `job!=node`, ...,
/// several of them comma-separated, optionally inside braces.
pub fn parse_matchers(text: &str) -> Result<Vec<LabelMatcher>, AppError> {
    let trimmed = text.trim();
    let inner = trimmed
        .strip_prefix('{')
        .and_then(|rest| rest.strip_suffix('}'))
        .unwrap_or(trimmed);
    split_outside_quotes(inner)
        .into_iter()
        .filter(|part| !part.trim().is_empty())
        .map(parse_one_matcher)
        .collect()
}

fn parse_one_matcher(text: &str) -> Result<LabelMatcher, AppError> {
    let text = text.trim();
    let invalid = |reason: &str| AppError::bad_request(format!("filter `{text}`: {reason}"));
    let name_end = text
        .find(|character: char| !(character.is_ascii_alphanumeric() || character == '_'))
        .ok_or_else(|| invalid("expected an operator (=, !=, =~ or !~)"))?;
    let (name, rest) = text.split_at(name_end);
    if name.is_empty() {
        return Err(invalid("expected a label name"));
    }
    let operators = [
        ("=~", MatchOperator::RegexMatch),
        ("!~", MatchOperator::RegexNoMatch),
        ("!=", MatchOperator::NotEqual),
        ("=", MatchOperator::Equal),
    ];
    let rest = rest.trim_start();
    let (operator, value_text) = operators
        .into_iter()
        .find_map(|(symbol, operator)| rest.strip_prefix(symbol).map(|value| (operator, value)))
        .ok_or_else(|| invalid("expected an operator (=, !=, =~ or !~)"))?;
    let value = unquote(value_text.trim()).ok_or_else(|| invalid("badly quoted value"))?;
    LabelMatcher::new(name, operator, value)
        .map_err(|error| AppError::bad_request(format!("filter: {error}")))
}

/// A double-quoted value without its quotes and escapes; an unquoted value as it is.
fn unquote(text: &str) -> Option<String> {
    let Some(quoted) = text.strip_prefix('"') else {
        return Some(text.to_string());
    };
    let mut value = String::new();
    let mut characters = quoted.chars();
    while let Some(character) = characters.next() {
        match character {
            '\\' => match characters.next()? {
                'n' => value.push('\n'),
                escaped @ ('"' | '\\') => value.push(escaped),
                other => {
                    value.push('\\');
                    value.push(other);
                }
            },
            '"' => return characters.as_str().trim().is_empty().then_some(value),
            other => value.push(other),
        }
    }
    None
}

fn split_outside_quotes(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut in_quotes = false;
    let mut escaped = false;
    for (index, character) in text.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match character {
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => {
                parts.push(&text[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

async fn get_alerts(
    State(state): State<AppState>,
    uri: Uri,
) -> Result<Json<Vec<GettableAlert>>, AppError> {
    let filter = AlertListFilter::from_uri(&uri)?;
    let now_ms = now_ms();
    let active_silences: Vec<Silence> = state
        .store
        .silences()
        .list_active(now_ms)
        .await?
        .iter()
        .map(silence_from_record)
        .collect::<Result<_, _>>()?;
    let receivers = [RECEIVER_NAME.to_string()];
    let alerts = state
        .alerts
        .external_alerts()
        .into_iter()
        .filter(|alert| is_still_firing(alert, now_ms))
        .map(|alert| {
            let silenced_by = active_silences
                .iter()
                .filter(|silence| silence.mutes(&alert.labels, now_ms))
                .map(|silence| silence.id.clone())
                .collect();
            alert.to_gettable(&receivers, silenced_by, Vec::new())
        })
        .filter(|alert| filter.keeps(alert))
        .collect();
    Ok(Json(alerts))
}

/// Alertmanager lists only alerts whose end has not passed.
fn is_still_firing(alert: &ExternalAlert, now_ms: i64) -> bool {
    alert.phase == alert::AlertPhase::Firing && alert.ends_at_ms > now_ms
}

/// The alert crate's silence from a stored one; its end is the expiry when expired early.
fn silence_from_record(record: &store::SilenceRecord) -> Result<Silence, AppError> {
    let stored_matchers: Vec<ApiMatcher> = serde_json::from_value(record.matchers.clone())
        .map_err(|error| {
            tracing::error!(silence = %record.id, %error, "stored silence matchers do not parse");
            AppError::internal("a stored silence is unreadable; see the server log")
        })?;
    let matchers = stored_matchers
        .iter()
        .map(ApiMatcher::to_label_matcher)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| {
            tracing::error!(silence = %record.id, %error, "stored silence matcher is invalid");
            AppError::internal("a stored silence is unreadable; see the server log")
        })?;
    let ends_at_ms = match record.expired_at_ms {
        Some(expired_at_ms) => record.ends_at_ms.min(expired_at_ms),
        None => record.ends_at_ms,
    };
    Ok(Silence {
        id: record.id.clone(),
        matchers,
        starts_at_ms: record.starts_at_ms.min(ends_at_ms),
        ends_at_ms,
        created_by: record.created_by.clone(),
        comment: record.comment.clone(),
    })
}

fn gettable_silence(
    record: &store::SilenceRecord,
    now_ms: i64,
) -> Result<GettableSilence, AppError> {
    let silence = silence_from_record(record)?;
    let mut gettable = GettableSilence::from_silence(&silence, record.updated_at_ms, now_ms);
    if record.expired_at_ms.is_some() {
        gettable.status.state = SilenceState::Expired;
    }
    Ok(gettable)
}

/// Alertmanager's order: active, then pending, then expired.
fn state_rank(state: SilenceState) -> u8 {
    match state {
        SilenceState::Active => 0,
        SilenceState::Pending => 1,
        SilenceState::Expired => 2,
    }
}

async fn list_silences(
    State(state): State<AppState>,
) -> Result<Json<Vec<GettableSilence>>, AppError> {
    let now_ms = now_ms();
    let mut silences = state
        .store
        .silences()
        .list()
        .await?
        .iter()
        .map(|record| gettable_silence(record, now_ms))
        .collect::<Result<Vec<_>, _>>()?;
    silences.sort_by_key(|silence| state_rank(silence.status.state));
    Ok(Json(silences))
}

async fn get_silence(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<GettableSilence>, AppError> {
    let Some(record) = state.store.silences().get(&id).await? else {
        return Err(AppError::not_found(format!("silence {id:?} not found")));
    };
    Ok(Json(gettable_silence(&record, now_ms())?))
}

/// Creates a silence, or updates the one named by `id` while it has not expired (an
/// expired one is replaced by a new silence, as Alertmanager does).
async fn post_silence(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<serde_json::Value>, AppError> {
    let posted = parse_postable_silence(&body)?;
    let now_ms = now_ms();
    let validated = validate_silence(&posted, now_ms)?;
    let id = match posted.id.as_deref().filter(|id| !id.is_empty()) {
        None => uuid::Uuid::new_v4().to_string(),
        Some(id) => match state.store.silences().get(id).await? {
            None => return Err(AppError::not_found(format!("silence {id:?} not found"))),
            Some(existing) if existing.expired_at_ms.is_none() && existing.ends_at_ms > now_ms => {
                existing.id
            }
            Some(_) => uuid::Uuid::new_v4().to_string(),
        },
    };
    let matchers = serde_json::to_value(&posted.matchers)
        .map_err(|error| AppError::internal(format!("silence matchers: {error}")))?;
    let new_silence = store::NewSilence {
        id,
        matchers,
        starts_at_ms: validated.starts_at_ms.max(now_ms),
        ends_at_ms: validated.ends_at_ms,
        created_by: validated.created_by,
        comment: validated.comment,
    };
    let stored = state.store.silences().upsert(&new_silence).await?;
    Ok(Json(json!({ "silenceID": stored.id })))
}

/// The posted silence; a time that does not parse is named by its field.
fn parse_postable_silence(body: &[u8]) -> Result<PostableSilence, AppError> {
    let document: serde_json::Value = serde_json::from_slice(body)
        .map_err(|error| AppError::bad_request(format!("silence: {error}")))?;
    for field in ["startsAt", "endsAt"] {
        let Some(value) = document.get(field) else {
            continue;
        };
        let parses = value
            .as_str()
            .is_some_and(|text| chrono::DateTime::parse_from_rfc3339(text).is_ok());
        if !parses {
            return Err(AppError::bad_request(format!(
                "silence: {field}: expected an RFC 3339 time, got {value}"
            )));
        }
    }
    serde_json::from_value(document)
        .map_err(|error| AppError::bad_request(format!("silence: {error}")))
}

/// Alertmanager's checks: matchers, `endsAt` after `startsAt` and in the future, `createdBy`.
fn validate_silence(posted: &PostableSilence, now_ms: i64) -> Result<Silence, AppError> {
    if let Some(unnamed) = posted
        .matchers
        .iter()
        .position(|matcher| matcher.name.is_empty())
    {
        return Err(AppError::bad_request(format!(
            "silence: matchers[{unnamed}].name must not be empty"
        )));
    }
    let silence = posted
        .to_silence(String::new())
        .map_err(|error| AppError::bad_request(error.to_string()))?;
    if silence.ends_at_ms <= now_ms {
        return Err(AppError::bad_request(
            "silence: endsAt must be in the future",
        ));
    }
    let matches_everything = silence
        .matchers
        .iter()
        .all(|matcher| matcher.matches_value(Some("")));
    if matches_everything {
        return Err(AppError::bad_request(
            "silence: matchers: at least one matcher must not match the empty string",
        ));
    }
    Ok(silence)
}

async fn expire_silence(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    state.store.silences().expire(&id, now_ms()).await?;
    Ok(StatusCode::OK)
}
