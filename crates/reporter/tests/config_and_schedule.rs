//! The `[reporter]` sample parses to the defaults; bad settings name their key; cron times are
//! computed in the site's time; the scheduler writes a report when its schedule fires.

mod support;

use chrono::{TimeZone, Utc};
use reporter::period::offset_from_minutes;
use reporter::runner::{next_run, parse_schedules};
use reporter::{Period, ReportKind, Reporter, ReporterConfig, ScheduleConfig};
use store::Store;

#[derive(Debug, serde::Deserialize)]
struct SampleFile {
    reporter: ReporterConfig,
}

#[test]
fn the_sample_section_is_every_key_at_its_default() {
    let sample: SampleFile =
        toml::from_str(reporter::config::SAMPLE_CONFIG).expect("sample parses");
    assert_eq!(sample.reporter, ReporterConfig::default());
    sample.reporter.validate().expect("the defaults are valid");
}

#[test]
fn bad_settings_name_their_key() {
    let mut config = ReporterConfig::default();
    config.schedules[0].cron = "every morning".to_string();
    let error = config.validate().unwrap_err().to_string();
    assert!(
        error.starts_with(
            "reporter.schedules[daily].cron: \"every morning\" is not a cron expression"
        ),
        "{error}"
    );

    let mut config = ReporterConfig::default();
    config.schedules[1].name = "daily".to_string();
    assert_eq!(
        config.validate().unwrap_err().to_string(),
        "reporter.schedules: the name \"daily\" is used twice"
    );

    let unknown = toml::from_str::<SampleFile>("[reporter]\nexport_dir = \"x\"\n");
    assert!(
        unknown
            .unwrap_err()
            .to_string()
            .contains("unknown field `export_dir`")
    );
}

#[test]
fn cron_times_and_periods_follow_the_site_offset() {
    let taipei = offset_from_minutes(480);
    let schedules = parse_schedules(&ReporterConfig::default().schedules).unwrap();
    // Sunday 2026-11-29 23:30 UTC is Monday 07:30 in Taipei: next is Tuesday 07:00 (daily).
    let after = Utc.with_ymd_and_hms(2026, 11, 29, 23, 30, 0).unwrap();
    let (at, due) = next_run(&schedules, after, taipei).unwrap();
    assert_eq!(at, Utc.with_ymd_and_hms(2026, 11, 30, 23, 0, 0).unwrap());
    assert_eq!(due, [0]);
    // Sunday 22:00 UTC is Monday 06:00 in Taipei: both fire at 07:00 local (23:00 UTC).
    let after = Utc.with_ymd_and_hms(2026, 11, 29, 22, 0, 0).unwrap();
    let (at, due) = next_run(&schedules, after, taipei).unwrap();
    assert_eq!(at, Utc.with_ymd_and_hms(2026, 11, 29, 23, 0, 0).unwrap());
    assert_eq!(due, [0, 1]);

    let daily = Period::previous(ReportKind::Daily, at, taipei);
    assert_eq!(
        daily.from_ms,
        Utc.with_ymd_and_hms(2026, 11, 28, 16, 0, 0)
            .unwrap()
            .timestamp_millis()
    );
    assert_eq!(daily.length_ms(), 24 * 3_600_000);
    let weekly = Period::previous(ReportKind::Weekly, at, taipei);
    // Monday 2026-11-23 00:00 Taipei = 2026-11-22 16:00 UTC, seven days.
    assert_eq!(
        weekly.from_ms,
        Utc.with_ymd_and_hms(2026, 11, 22, 16, 0, 0)
            .unwrap()
            .timestamp_millis()
    );
    assert_eq!(weekly.length_ms(), 7 * 24 * 3_600_000);
}

async fn the_scheduler_writes_a_report_when_its_schedule_fires(
    store: &Store,
) -> anyhow::Result<()> {
    let exports = tempfile::tempdir()?;
    let config = ReporterConfig {
        exports_dir: exports.path().to_path_buf(),
        llm_url: String::new(),
        schedules: vec![ScheduleConfig {
            name: "every-second".to_string(),
            cron: "* * * * * *".to_string(),
            kind: ReportKind::Daily,
            language: None,
        }],
        formats: vec![reporter::Format::Csv],
        ..ReporterConfig::default()
    };
    let reporter = Reporter::new(config, store.clone())?;
    let shutdown = tokio_util::sync::CancellationToken::new();
    let runner = tokio::spawn(reporter::run_scheduler(reporter, shutdown.clone()));
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    let reports = loop {
        let reports = store.reports().list(10).await?;
        if !reports.is_empty() {
            break reports;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no scheduled report in 30 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    shutdown.cancel();
    runner.await??;
    assert_eq!(reports[0].created_by, "scheduler:every-second");
    assert_eq!(reports[0].kind, "daily");
    assert_eq!(reports[0].summary_backend, "reporter");
    assert!(
        exports
            .path()
            .join(format!("{}.csv", reports[0].id))
            .exists()
    );
    Ok(())
}

store::test_on_both_backends!(the_scheduler_writes_a_report_when_its_schedule_fires);
