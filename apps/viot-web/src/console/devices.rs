//! The grid-status page: every device as a tile coloured by its state, and one device's page
//! with its recent values, its alerts and its deployed Telegraf file.
//!
//! A device's metrics and alerts are found by the tags Detectviz's generated Telegraf files
//! put on them (`device_id`, and `source` = the address) and the usual ones people write by
//! hand (`agent_host`, `device`, `host`). State, most serious first: alerting (by the worst
//! firing level), down (the last scans missed it), stale (nothing seen for
//! [`STALE_AFTER_MS`]), up.

use std::collections::{BTreeMap, HashMap};

use detectviz::SeriesKey;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::AppError;
use crate::routes::alerts::AlertView;
use crate::routes::devices::DeviceView;
use crate::state::AppState;

/// A device with no scan answer and no sample for this long is stale.
pub const STALE_AFTER_MS: i64 = 10 * 60 * 1000;
/// Latest values shown on a tile.
const KEY_VALUES_PER_TILE: usize = 4;
/// Series charted on a device's page.
const CHARTED_SERIES: usize = 12;
/// Tags that only say which device a series belongs to (left out of series names).
const IDENTITY_TAGS: [&str; 5] = ["device_id", "source", "agent_host", "device", "host"];

/// `?device=<id>` opens one device; without it, the grid.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceQuery {
    #[serde(default)]
    pub device: Option<String>,
}

/// Which device a tag value points at: (tag name, value) → index in the device list.
struct DeviceIndex {
    by_tag: HashMap<(&'static str, String), usize>,
}

impl DeviceIndex {
    fn new(devices: &[DeviceView]) -> DeviceIndex {
        let mut by_tag = HashMap::new();
        for (index, device) in devices.iter().enumerate() {
            by_tag.insert(("device_id", device.id.clone()), index);
            for tag in ["source", "agent_host", "instance"] {
                by_tag.entry((tag, device.address.clone())).or_insert(index);
            }
            if !device.name.is_empty() {
                for tag in ["device", "host"] {
                    by_tag.entry((tag, device.name.clone())).or_insert(index);
                }
            }
        }
        DeviceIndex { by_tag }
    }

    /// The device a label set belongs to, trying the most specific tag first.
    fn find<'labels>(&self, labels: impl Fn(&str) -> Option<&'labels str>) -> Option<usize> {
        [
            "device_id",
            "source",
            "agent_host",
            "instance",
            "device",
            "host",
        ]
        .iter()
        .find_map(|tag| {
            let value = labels(tag)?;
            self.by_tag.get(&(*tag, value.to_string())).copied()
        })
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// `measurement.field` plus the tags that are not about which device it is.
fn series_name(series: &SeriesKey) -> String {
    let mut name = format!("{}.{}", series.measurement, series.field);
    for (tag, value) in series.tags.iter() {
        if !IDENTITY_TAGS.contains(&tag) && tag != "location" {
            name.push_str(&format!(" {tag}={value}"));
        }
    }
    name
}

fn severity_rank(severity: &str) -> u8 {
    match severity {
        "critical" => 3,
        "warning" => 2,
        "info" => 1,
        _ => 0,
    }
}

/// `critical`/`warning`/`info` (alerting), `down`, `stale` or `up`.
pub fn device_state(
    worst_alert: Option<&str>,
    status: &str,
    last_seen_ms: i64,
    now_ms: i64,
) -> &'static str {
    match worst_alert {
        Some("critical") => return "critical",
        Some("warning") => return "warning",
        Some(_) => return "info",
        None => {}
    }
    if status == "gone" {
        return "down";
    }
    if now_ms - last_seen_ms > STALE_AFTER_MS {
        return "stale";
    }
    "up"
}

/// The page's data: the grid, or one device when `?device=` names it.
pub async fn page_data(state: &AppState, query: &DeviceQuery) -> Result<Value, AppError> {
    match &query.device {
        Some(device_id) => device_detail(state, device_id).await,
        None => grid(state).await,
    }
}

struct Tile {
    worst_alert: Option<String>,
    firing: usize,
    newest_sample_ms: i64,
    key_values: Vec<(String, f64, i64)>,
}

/// Every device with its state, last seen time, firing alert count and latest values.
pub async fn grid(state: &AppState) -> Result<Value, AppError> {
    let devices: Vec<DeviceView> = state
        .store
        .devices()
        .list()
        .await?
        .into_iter()
        .map(DeviceView::from)
        .collect();
    let index = DeviceIndex::new(&devices);
    let mut tiles: Vec<Tile> = devices
        .iter()
        .map(|_| Tile {
            worst_alert: None,
            firing: 0,
            newest_sample_ms: 0,
            key_values: Vec::new(),
        })
        .collect();
    let firing = state
        .store
        .alerts()
        .list(&store::AlertFilter {
            state: Some("firing".into()),
            limit: Some(5_000),
            ..Default::default()
        })
        .await?;
    for record in firing {
        let labels = &record.current.labels;
        let Some(device) = index.find(|tag| labels.get(tag).map(String::as_str)) else {
            continue;
        };
        let tile = &mut tiles[device];
        tile.firing += 1;
        let worse = tile.worst_alert.as_deref().map_or(0, severity_rank)
            < severity_rank(&record.current.severity);
        if worse {
            tile.worst_alert = Some(record.current.severity.clone());
        }
    }
    let window = &state.ingest.window;
    for series in window.series_keys() {
        let Some(device) = index.find(|tag| series.tags.get(tag)) else {
            continue;
        };
        let Some(&(timestamp_ms, value)) = window.recent(&series).last() else {
            continue;
        };
        let tile = &mut tiles[device];
        tile.newest_sample_ms = tile.newest_sample_ms.max(timestamp_ms);
        tile.key_values
            .push((series_name(&series), value, timestamp_ms));
    }
    let now = now_ms();
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    let mut rows = Vec::with_capacity(devices.len());
    for (device, mut tile) in devices.into_iter().zip(tiles) {
        let last_seen_ms = device.last_seen_at_ms.max(tile.newest_sample_ms);
        let state_name = device_state(
            tile.worst_alert.as_deref(),
            &device.status,
            last_seen_ms,
            now,
        );
        *counts.entry(state_name).or_default() += 1;
        tile.key_values.sort_by(|left, right| left.0.cmp(&right.0));
        let key_values: Vec<Value> = tile
            .key_values
            .iter()
            .take(KEY_VALUES_PER_TILE)
            .map(|(name, value, _)| json!({"name": name, "value": value}))
            .collect();
        rows.push(json!({
            "id": device.id, "name": device.name, "address": device.address,
            "protocol": device.protocol, "status": device.status, "state": state_name,
            "last_seen_ms": last_seen_ms, "firing": tile.firing,
            "series": tile.key_values.len(), "key_values": key_values,
        }));
    }
    rows.sort_by_key(|row| {
        let state_name = row["state"].as_str().unwrap_or("");
        let rank = ["critical", "warning", "info", "down", "stale", "up"]
            .iter()
            .position(|known| *known == state_name)
            .unwrap_or(9);
        (rank, row["name"].as_str().unwrap_or("").to_string())
    });
    Ok(json!({"devices": rows, "counts": counts, "stale_after_minutes": STALE_AFTER_MS / 60_000}))
}

/// One device: its record, state, charted recent values, alerts and deployed Telegraf file.
pub async fn device_detail(state: &AppState, device_id: &str) -> Result<Value, AppError> {
    let record = state
        .store
        .devices()
        .get(device_id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("device {device_id}")))?;
    let device = DeviceView::from(record);
    let index = DeviceIndex::new(std::slice::from_ref(&device));
    let window = &state.ingest.window;
    let mut series: Vec<(String, Vec<(i64, f64)>)> = window
        .series_keys()
        .into_iter()
        .filter(|key| index.find(|tag| key.tags.get(tag)).is_some())
        .map(|key| (series_name(&key), window.recent(&key)))
        .filter(|(_, samples)| !samples.is_empty())
        .collect();
    series.sort_by(|left, right| left.0.cmp(&right.0));
    let newest_sample_ms = series
        .iter()
        .filter_map(|(_, samples)| samples.last().map(|sample| sample.0))
        .max()
        .unwrap_or(0);
    let charts: Vec<Value> = series
        .iter()
        .take(CHARTED_SERIES)
        .map(|(name, samples)| {
            let times: Vec<f64> = samples
                .iter()
                .map(|sample| sample.0 as f64 / 1_000.0)
                .collect();
            let values: Vec<f64> = samples.iter().map(|sample| sample.1).collect();
            json!({"name": name, "latest": values.last(), "times": times, "values": values})
        })
        .collect();
    let alerts: Vec<AlertView> = state
        .store
        .alerts()
        .list(&store::AlertFilter {
            limit: Some(5_000),
            ..Default::default()
        })
        .await?
        .into_iter()
        .filter(|record| {
            let labels = &record.current.labels;
            index
                .find(|tag| labels.get(tag).map(String::as_str))
                .is_some()
        })
        .take(100)
        .map(AlertView::from)
        .collect();
    let worst_alert = alerts
        .iter()
        .filter(|alert| alert.state == "firing")
        .max_by_key(|alert| severity_rank(&alert.severity))
        .map(|alert| alert.severity.clone());
    let last_seen_ms = device.last_seen_at_ms.max(newest_sample_ms);
    let state_name = device_state(
        worst_alert.as_deref(),
        &device.status,
        last_seen_ms,
        now_ms(),
    );
    let telegraf = telegraf_file(state, &device.id);
    Ok(json!({
        "device": device, "state": state_name, "last_seen_ms": last_seen_ms,
        "charts": charts, "series_count": series.len(), "alerts": alerts,
        "telegraf": telegraf,
    }))
}

/// The device's deployed `detectviz-device-<id>.conf`: `{configured, path, text}`.
fn telegraf_file(state: &AppState, device_id: &str) -> Value {
    let directory = state.config.current().console.telegraf_directory.clone();
    if directory.as_os_str().is_empty() {
        return json!({"configured": false});
    }
    let path = directory.join(autodeploy::device_file_name(device_id));
    let text = std::fs::read_to_string(&path).ok();
    json!({"configured": true, "path": path.display().to_string(), "text": text})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_serious_state_wins() {
        let now = 100 * STALE_AFTER_MS;
        assert_eq!(device_state(Some("warning"), "gone", 0, now), "warning");
        assert_eq!(
            device_state(Some("critical"), "present", now, now),
            "critical"
        );
        assert_eq!(device_state(None, "gone", now, now), "down");
        assert_eq!(
            device_state(None, "present", now - STALE_AFTER_MS - 1, now),
            "stale"
        );
        assert_eq!(device_state(None, "present", now - 1_000, now), "up");
    }

    #[test]
    fn series_names_leave_out_the_device_tags() {
        let key = SeriesKey {
            measurement: "interface".into(),
            field: "ifInOctets".into(),
            tags: [
                ("source", "10.0.0.5"),
                ("ifName", "eth0"),
                ("device_id", "d1"),
            ]
            .into_iter()
            .collect(),
        };
        assert_eq!(series_name(&key), "interface.ifInOctets ifName=eth0");
    }
}
