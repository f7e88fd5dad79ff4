//! Pure aggregation: the figures of a report from the rows the store returns (no IO).
//!
//! - Fired: `firing` transitions in the period; per level: `firing` and `escalated`
//!   transitions by the severity they reached.
//! - MTTR: for each `resolved` transition in the period, the time since its alert's episode
//!   started firing (the first `firing` after the previous `resolved`, looked up as far as the
//!   events the caller passes before the period).
//! - MTTA: for each acknowledgement given in the period, acknowledged_at − active_since. The
//!   store keeps the latest acknowledgement of each alert only.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use store::{ReportAcknowledgement, ReportAlertEvent, ReportNotificationCount};

use crate::period::Period;

/// What the store returned for one period.
#[derive(Debug, Clone, Default)]
pub struct PeriodRows {
    /// Transitions from the lookback start to the end of the period, oldest first.
    pub events: Vec<ReportAlertEvent>,
    pub acknowledgements: Vec<ReportAcknowledgement>,
    pub notifications: Vec<ReportNotificationCount>,
    /// Set when the event query hit its limit.
    pub truncated_at: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelCount {
    pub level: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BucketCount {
    pub start_ms: i64,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleCount {
    pub rule: String,
    pub fired: u64,
    pub transitions: u64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ChannelResult {
    pub channel: String,
    pub sent: u64,
    pub failed: u64,
    pub pending: u64,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub transitions: u64,
    pub fired: u64,
    pub resolved: u64,
    pub escalated: u64,
    /// critical, warning, info first, then any other level seen.
    pub by_level: Vec<LevelCount>,
    /// Fired per bucket over the period.
    pub over_time: Vec<BucketCount>,
    pub bucket_ms: i64,
    pub noisiest_rules: Vec<RuleCount>,
    pub mtta_s: Option<f64>,
    pub acknowledged: u64,
    pub mttr_s: Option<f64>,
    pub resolved_incidents: u64,
    pub notifications: Vec<ChannelResult>,
    pub truncated_at: Option<u32>,
}

const HOUR_MS: i64 = 3_600_000;
const MAX_BUCKETS: i64 = 96;

/// One hour buckets up to two days, one day up to 96 days, longer periods in 96 buckets.
pub fn bucket_for(period: Period) -> i64 {
    let length = period.length_ms();
    if length <= 48 * HOUR_MS {
        return HOUR_MS;
    }
    let day = 24 * HOUR_MS;
    if length <= MAX_BUCKETS * day {
        return day;
    }
    (length + MAX_BUCKETS - 1) / MAX_BUCKETS
}

pub fn compute(period: Period, rows: &PeriodRows, top_rules: usize) -> Figures {
    let in_period = |at: i64| at >= period.from_ms && at < period.to_ms;
    let bucket_ms = bucket_for(period);
    let bucket_count = ((period.length_ms() + bucket_ms - 1) / bucket_ms).max(1) as usize;
    let mut over_time = vec![0u64; bucket_count];
    let mut by_level: BTreeMap<String, u64> = BTreeMap::new();
    let mut rules: HashMap<String, RuleCount> = HashMap::new();
    let mut episode_start: HashMap<&str, i64> = HashMap::new();
    let mut repair_total_ms = 0i64;
    let (mut transitions, mut fired, mut resolved, mut escalated, mut incidents) = (0, 0, 0, 0, 0);

    for event in &rows.events {
        let counted = in_period(event.at_ms);
        match event.kind.as_str() {
            "firing" => {
                episode_start
                    .entry(&event.fingerprint)
                    .or_insert(event.at_ms);
            }
            "resolved" => {
                if let Some(start) = episode_start.remove(event.fingerprint.as_str())
                    && counted
                {
                    repair_total_ms += event.at_ms - start;
                    incidents += 1;
                }
            }
            _ => {}
        }
        if !counted {
            continue;
        }
        transitions += 1;
        let rule_name = event
            .rule_name
            .clone()
            .unwrap_or_else(|| format!("#{}", event.fingerprint));
        let rule = rules.entry(rule_name.clone()).or_insert(RuleCount {
            rule: rule_name,
            fired: 0,
            transitions: 0,
        });
        rule.transitions += 1;
        match event.kind.as_str() {
            "firing" => {
                fired += 1;
                rule.fired += 1;
                let bucket = ((event.at_ms - period.from_ms) / bucket_ms) as usize;
                over_time[bucket.min(bucket_count - 1)] += 1;
                *by_level.entry(event.severity.clone()).or_default() += 1;
            }
            "escalated" => {
                escalated += 1;
                *by_level.entry(event.severity.clone()).or_default() += 1;
            }
            "resolved" => resolved += 1,
            _ => {}
        }
    }

    let acknowledged = rows.acknowledgements.len() as u64;
    let acknowledge_total_ms: i64 = rows
        .acknowledgements
        .iter()
        .map(|ack| (ack.acknowledged_at_ms - ack.active_since_ms).max(0))
        .sum();

    Figures {
        transitions,
        fired,
        resolved,
        escalated,
        by_level: ordered_levels(by_level),
        over_time: over_time
            .into_iter()
            .enumerate()
            .map(|(index, count)| BucketCount {
                start_ms: period.from_ms + index as i64 * bucket_ms,
                count,
            })
            .collect(),
        bucket_ms,
        noisiest_rules: noisiest(rules, top_rules),
        mtta_s: mean_seconds(acknowledge_total_ms, acknowledged),
        acknowledged,
        mttr_s: mean_seconds(repair_total_ms, incidents),
        resolved_incidents: incidents,
        notifications: channel_results(&rows.notifications),
        truncated_at: rows.truncated_at,
    }
}

fn mean_seconds(total_ms: i64, count: u64) -> Option<f64> {
    (count > 0).then(|| total_ms as f64 / count as f64 / 1000.0)
}

fn ordered_levels(mut counts: BTreeMap<String, u64>) -> Vec<LevelCount> {
    let mut levels = Vec::new();
    for known in ["critical", "warning", "info"] {
        levels.push(LevelCount {
            level: known.to_string(),
            count: counts.remove(known).unwrap_or(0),
        });
    }
    levels.extend(
        counts
            .into_iter()
            .map(|(level, count)| LevelCount { level, count }),
    );
    levels
}

fn noisiest(rules: HashMap<String, RuleCount>, top_rules: usize) -> Vec<RuleCount> {
    let mut rules: Vec<RuleCount> = rules.into_values().filter(|r| r.fired > 0).collect();
    rules.sort_by(|a, b| b.fired.cmp(&a.fired).then_with(|| a.rule.cmp(&b.rule)));
    rules.truncate(top_rules);
    rules
}

fn channel_results(counts: &[ReportNotificationCount]) -> Vec<ChannelResult> {
    let mut channels: BTreeMap<&str, ChannelResult> = BTreeMap::new();
    for count in counts {
        let result = channels
            .entry(count.channel.as_str())
            .or_insert_with(|| ChannelResult {
                channel: count.channel.clone(),
                ..ChannelResult::default()
            });
        let n = count.count.max(0) as u64;
        match count.status.as_str() {
            "sent" => result.sent += n,
            "failed" => result.failed += n,
            _ => result.pending += n,
        }
        result.total += n;
    }
    channels.into_values().collect()
}
