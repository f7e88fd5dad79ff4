//! The data sources pages and components render: alerts, alert counts, an alert's detail
//! with its timeline, the audit log. Each returns JSON the templates read.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::AppError;
use crate::routes::alerts::AlertView;
use crate::state::AppState;

/// Filters of the alert table (query string of `/components/alert-rows`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertTableQuery {
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    /// Free text matched against rule name and labels.
    #[serde(default)]
    pub search: Option<String>,
    #[serde(default)]
    pub limit: Option<u32>,
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value.clone().filter(|text| !text.trim().is_empty())
}

/// Alerts for the table, newest first.
pub async fn alerts(state: &AppState, query: &AlertTableQuery) -> Result<Vec<Value>, AppError> {
    let filter = store::AlertFilter {
        state: non_empty(&query.state),
        severity: non_empty(&query.severity),
        rule_id: None,
        label_equals: Vec::new(),
        limit: Some(query.limit.unwrap_or(1_000).min(5_000)),
    };
    let search = non_empty(&query.search).map(|text| text.to_lowercase());
    let records = state.store.alerts().list(&filter).await?;
    Ok(records
        .into_iter()
        .map(AlertView::from)
        .filter(|alert| match &search {
            None => true,
            Some(text) => {
                alert.rule_name.to_lowercase().contains(text)
                    || alert.labels.iter().any(|(name, value)| {
                        name.to_lowercase().contains(text) || value.to_lowercase().contains(text)
                    })
            }
        })
        .map(|alert| serde_json::to_value(alert).expect("an alert view serialises"))
        .collect())
}

/// Active alerts (pending or firing) by severity, and how many are acknowledged.
pub async fn alert_counts(state: &AppState) -> Result<Value, AppError> {
    let mut active = Vec::new();
    for phase in ["firing", "pending"] {
        let filter = store::AlertFilter {
            state: Some(phase.to_string()),
            ..Default::default()
        };
        active.extend(state.store.alerts().list(&filter).await?);
    }
    let mut by_severity: BTreeMap<&str, u64> =
        BTreeMap::from([("critical", 0), ("warning", 0), ("info", 0)]);
    let (mut firing, mut pending, mut acknowledged) = (0u64, 0u64, 0u64);
    for record in &active {
        match record.current.state.as_str() {
            "firing" => firing += 1,
            "pending" => pending += 1,
            _ => continue,
        }
        if record.acknowledgement.is_some() {
            acknowledged += 1;
        }
        if let Some(count) = by_severity.get_mut(record.current.severity.as_str()) {
            *count += 1;
        }
    }
    Ok(json!({
        "by_severity": by_severity, "firing": firing, "pending": pending,
        "acknowledged": acknowledged, "total": active.len(),
    }))
}

/// One alert with its transitions (oldest first) and its Grafana link.
pub async fn alert_detail(state: &AppState, fingerprint: &str) -> Result<Value, AppError> {
    let record = state
        .store
        .alerts()
        .get(fingerprint)
        .await?
        .ok_or_else(|| AppError::not_found(format!("alert {fingerprint}")))?;
    let history = state.store.alert_events().history(fingerprint, 200).await?;
    let timeline: Vec<Value> = history
        .iter()
        .map(|event| {
            json!({"kind": event.kind, "from": event.from_state, "to": event.to_state,
                   "severity": event.severity, "value": event.value, "at_ms": event.at_ms})
        })
        .collect();
    let alert = AlertView::from(record);
    let grafana = grafana_link(
        &state.config.current().console.grafana_url,
        &alert,
        history.first().map(|event| event.at_ms),
    );
    Ok(json!({"alert": alert, "timeline": timeline, "grafana_url": grafana}))
}

/// `<grafana_url>?from=<start - 1 h>&to=<end or now>&var-<label>=<value>...`, or none.
pub fn grafana_link(base: &str, alert: &AlertView, first_event_ms: Option<i64>) -> Option<String> {
    if base.trim().is_empty() {
        return None;
    }
    let start = alert
        .active_since_ms
        .or(first_event_ms)
        .unwrap_or(alert.updated_at_ms);
    let end = alert.resolved_at_ms.map_or("now".to_string(), |resolved| {
        (resolved + 3_600_000).to_string()
    });
    let mut link = format!(
        "{base}{}from={}&to={end}",
        if base.contains('?') { "&" } else { "?" },
        start - 3_600_000
    );
    for (name, value) in &alert.labels {
        link.push_str(&format!("&var-{}={}", encode(name), encode(value)));
    }
    Some(link)
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// Latest audit records, newest first.
pub async fn audit(
    state: &AppState,
    actor: Option<String>,
    limit: u32,
) -> Result<Vec<Value>, AppError> {
    let query = store::AuditQuery {
        actor: non_empty(&actor),
        limit,
        ..Default::default()
    };
    let entries = state.store.audit_log().query(&query).await?;
    Ok(entries
        .into_iter()
        .map(|entry| {
            json!({"id": entry.id, "at_ms": entry.at_ms, "actor": entry.actor,
                   "action": entry.action, "target": entry.target,
                   "source_ip": entry.source_ip, "result": entry.result})
        })
        .collect())
}

/// One page of the alert table for Tabulator's remote pagination (`page` from 1).
pub async fn alert_page(
    state: &AppState,
    query: &AlertTableQuery,
    page: u64,
    size: u32,
) -> Result<Value, AppError> {
    let size = size.clamp(1, 1_000);
    let page = page.max(1);
    let (records, total) = state
        .store
        .alerts()
        .page(
            non_empty(&query.state).as_deref(),
            non_empty(&query.severity).as_deref(),
            (page - 1) * u64::from(size),
            size,
        )
        .await?;
    let rows: Vec<AlertView> = records.into_iter().map(AlertView::from).collect();
    Ok(json!({"last_page": total.div_ceil(u64::from(size)).max(1), "total": total, "data": rows}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(labels: &[(&str, &str)]) -> AlertView {
        AlertView {
            fingerprint: "f".into(),
            rule_id: "r".into(),
            rule_name: "R".into(),
            severity: "critical".into(),
            state: "firing".into(),
            labels: labels
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
            annotations: BTreeMap::new(),
            value: None,
            active_since_ms: Some(10_000_000),
            updated_at_ms: 10_000_000,
            resolved_at_ms: None,
            acknowledgement: None,
        }
    }

    #[test]
    fn grafana_link_spans_the_episode_and_carries_the_labels() {
        let link = grafana_link(
            "http://grafana:3000/d/abc",
            &view(&[("host", "pump 1")]),
            None,
        );
        assert_eq!(
            link.as_deref(),
            Some("http://grafana:3000/d/abc?from=6400000&to=now&var-host=pump%201")
        );
        assert_eq!(grafana_link("", &view(&[]), None), None);
    }
}
