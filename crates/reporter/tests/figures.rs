//! Pure parts: figures from rows (episodes crossing the period start, buckets, ordering),
//! CSV quoting (including spreadsheet formulas) and text wrapping for the PDF.

use reporter::figures::{PeriodRows, bucket_for, compute};
use reporter::pdf_layout::wrap;
use reporter::{Period, csv};
use store::{ReportAlertEvent, ReportNotificationCount};

const HOUR_MS: i64 = 3_600_000;

fn event(
    fingerprint: &str,
    rule: Option<&str>,
    kind: &str,
    severity: &str,
    at_ms: i64,
) -> ReportAlertEvent {
    ReportAlertEvent {
        fingerprint: fingerprint.to_string(),
        rule_id: rule.map(|r| format!("{r}-id")),
        rule_name: rule.map(str::to_string),
        kind: kind.to_string(),
        severity: severity.to_string(),
        at_ms,
    }
}

#[test]
fn episodes_started_before_the_period_count_for_mttr_but_not_as_fired() {
    let period = Period::new(24 * HOUR_MS, 48 * HOUR_MS).unwrap();
    let rows = PeriodRows {
        events: vec![
            event("a", Some("Hot"), "firing", "warning", 20 * HOUR_MS),
            event("a", Some("Hot"), "escalated", "critical", 25 * HOUR_MS),
            event("a", Some("Hot"), "resolved", "critical", 26 * HOUR_MS),
            event("b", None, "firing", "info", 30 * HOUR_MS),
            event("c", Some("Cold"), "firing", "critical", 31 * HOUR_MS),
            event("c", Some("Cold"), "firing", "critical", 32 * HOUR_MS),
            event("d", Some("Lost"), "resolved", "warning", 33 * HOUR_MS),
        ],
        notifications: vec![
            ReportNotificationCount {
                channel: "slack".into(),
                status: "retrying".into(),
                count: 2,
            },
            ReportNotificationCount {
                channel: "slack".into(),
                status: "sent".into(),
                count: 5,
            },
        ],
        ..PeriodRows::default()
    };
    let figures = compute(period, &rows, 10);
    assert_eq!(
        (figures.fired, figures.escalated, figures.resolved),
        (3, 1, 2)
    );
    assert_eq!(figures.transitions, 6);
    assert_eq!(figures.resolved_incidents, 1, "d has no known start");
    assert_eq!(figures.mttr_s, Some(6.0 * 3600.0));
    assert_eq!(figures.mtta_s, None);
    let levels: Vec<_> = figures
        .by_level
        .iter()
        .map(|l| (l.level.as_str(), l.count))
        .collect();
    assert_eq!(levels, [("critical", 3), ("warning", 0), ("info", 1)]);
    let rules: Vec<_> = figures
        .noisiest_rules
        .iter()
        .map(|r| (r.rule.as_str(), r.fired))
        .collect();
    assert_eq!(rules, [("Cold", 2), ("#b", 1)]);
    assert_eq!(figures.over_time.len(), 24);
    assert_eq!(figures.over_time[6].count, 1);
    assert_eq!(figures.notifications[0].pending, 2);
    assert_eq!(figures.notifications[0].total, 7);
}

#[test]
fn buckets_are_hours_days_or_a_96th_of_long_periods() {
    let day = 24 * HOUR_MS;
    assert_eq!(bucket_for(Period::new(0, 2 * day).unwrap()), HOUR_MS);
    assert_eq!(bucket_for(Period::new(0, 7 * day).unwrap()), day);
    assert_eq!(bucket_for(Period::new(0, 192 * day).unwrap()), 2 * day);
    assert!(
        Period::new(10, 10)
            .unwrap_err()
            .to_string()
            .contains("must be after")
    );
    assert!(Period::new(0, 400 * day).is_err());
}

#[test]
fn csv_fields_are_quoted_and_formulas_are_defused() {
    assert_eq!(csv::quote("鍋爐過熱"), "鍋爐過熱");
    assert_eq!(csv::quote("a,b"), "\"a,b\"");
    assert_eq!(csv::quote("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_eq!(
        csv::quote("=HYPERLINK(\"x\")"),
        "\"'=HYPERLINK(\"\"x\"\")\""
    );
    assert_eq!(csv::quote("-12.5"), "-12.5");
}

#[test]
fn pdf_text_wraps_chinese_anywhere_and_english_between_words() {
    let lines = wrap("本期共觸發三次告警，解除兩次。", 10.0, 60.0);
    assert_eq!(lines, ["本期共觸發三", "次告警，解除", "兩次。"]);
    let lines = wrap("mean time to resolve", 10.0, 60.0);
    assert_eq!(lines, ["mean time", "to resolve"]);
}
