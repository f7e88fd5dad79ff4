//! Reports end to end on SQLite and MariaDB: figures from a seeded day, the three exports
//! (the PDF rendered by poppler: page 1 not blank, Traditional Chinese extracted), the record
//! in the store, and the summary's fallback marking when the llm service is down.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use reporter::{Format, Language, Period, ReportKind, Reporter, ReporterConfig};
use store::Store;
use support::seed::{DAY_START_MS, HOUR_MS, seed_day};

fn config(exports: &Path, llm_url: String) -> ReporterConfig {
    ReporterConfig {
        exports_dir: exports.to_path_buf(),
        templates_dir: support::repository_root().join("conf/provisioning/templates/reporter"),
        llm_url,
        llm_timeout_s: 5,
        utc_offset_minutes: 480,
        schedules: Vec::new(),
        ..ReporterConfig::default()
    }
}

fn day() -> Period {
    Period::new(DAY_START_MS, DAY_START_MS + 24 * HOUR_MS).unwrap()
}

/// Dark pixels of a PGM (P5) page image.
fn dark_pixels(pgm: &[u8]) -> usize {
    // Header: "P5\n<w> <h>\n<max>\n" then one byte per pixel.
    let mut newlines = 0;
    let start = pgm
        .iter()
        .position(|byte| {
            newlines += usize::from(*byte == b'\n');
            newlines == 3
        })
        .expect("a PGM header")
        + 1;
    pgm[start..].iter().filter(|value| **value < 128).count()
}

fn run(program: &str, arguments: &[&str]) -> Vec<u8> {
    let output = Command::new(program)
        .args(arguments)
        .output()
        .unwrap_or_else(|error| panic!("{program}: {error} (run scripts/install-test-deps.sh)"));
    assert!(
        output.status.success(),
        "{program} {arguments:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Checks the PDF with poppler: page 1 has ink and its text is the Chinese we wrote.
fn check_pdf(pdf: &Path, directory: &Path) {
    let text = String::from_utf8(run(
        "pdftotext",
        &["-l", "1", "-layout", pdf.to_str().unwrap(), "-"],
    ))
    .unwrap();
    for expected in [
        "告警摘要",
        "每日告警報告",
        "鍋爐過熱",
        "平均修復時間 (MTTR)",
        "最常觸發的規則",
    ] {
        assert!(
            text.contains(expected),
            "pdftotext page 1 lacks {expected:?}:\n{text}"
        );
    }
    let stem = directory.join("page");
    run(
        "pdftoppm",
        &[
            "-f",
            "1",
            "-l",
            "1",
            "-r",
            "60",
            "-gray",
            pdf.to_str().unwrap(),
            stem.to_str().unwrap(),
        ],
    );
    let image = std::fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|e| e == "pgm"))
        .expect("pdftoppm wrote page 1");
    let dark = dark_pixels(&std::fs::read(&image).unwrap());
    assert!(dark > 2_000, "page 1 is (nearly) blank: {dark} dark pixels");
    if let Ok(keep) = std::env::var("DETECTVIZ_KEEP_REPORT_PDF") {
        std::fs::copy(pdf, PathBuf::from(keep)).unwrap();
    }
}

async fn a_daily_report_is_exported_in_three_formats_with_chinese_text(
    store: &Store,
) -> anyhow::Result<()> {
    seed_day(store).await;
    let exports = tempfile::tempdir()?;
    let reporter = Reporter::new(config(exports.path(), support::closed_url()), store.clone())?;
    let record = reporter
        .generate(ReportKind::Daily, day(), Some(Language::ZhTw), "ops")
        .await?;

    assert_eq!(record.kind, "daily");
    assert_eq!(record.title, "每日告警報告");
    assert_eq!(record.formats, ["html", "csv", "pdf"]);
    assert_eq!(
        record.summary_backend, "reporter",
        "the llm service is down"
    );
    assert_eq!(store.reports().list(10).await?, vec![record.clone()]);

    let html_path = reporter
        .export_path(&record.id, Format::Html)
        .await?
        .expect("html exported");
    let html = std::fs::read_to_string(&html_path)?;
    assert!(html.contains("<h2>告警摘要</h2>"), "{html}");
    assert!(html.contains("LLM 服務無法連線"), "the fallback is marked");
    assert!(
        html.contains("本期共觸發 3 次告警（嚴重 4, 警告 0, 資訊 0），升級 1 次，解除 4 次。"),
        "{html}"
    );
    assert!(
        html.contains("<svg") && html.contains("<rect"),
        "charts are inline SVG"
    );
    assert!(!html.contains("<script"), "no JavaScript");
    assert!(
        html.contains("<td>鍋爐過熱</td><td class=\"number\">3</td>"),
        "noisiest rule row"
    );
    assert!(html.contains(">1.1 h<"), "MTTA (4 and 130 minutes): {html}");
    assert!(
        html.contains(">1.4 h<"),
        "MTTR (4 h and three times 30 min)"
    );
    assert!(
        html.contains("自動化執行結果"),
        "missing sections are listed"
    );

    let csv_path = reporter
        .export_path(&record.id, Format::Csv)
        .await?
        .expect("csv exported");
    let csv = std::fs::read_to_string(&csv_path)?;
    assert!(csv.starts_with("\u{feff}section,item,value\r\n"));
    for row in [
        "report,title,每日告警報告",
        "report,from,2026-11-24 00:00",
        "alerts,fired,3",
        "level,critical,4",
        "noisiest_rule,鍋爐過熱,3",
        "response,mtta_seconds,4020.0",
        "response,mttr_seconds,4950.0",
        "notifications,email.failed,1",
        "notifications,line.sent,1",
        "summary,backend,reporter",
        "fired_over_time,2026-11-24 03:00,1",
    ] {
        assert!(
            csv.contains(&format!("{row}\r\n")),
            "csv lacks {row:?}:\n{csv}"
        );
    }

    let pdf_path = reporter
        .export_path(&record.id, Format::Pdf)
        .await?
        .expect("pdf exported");
    assert!(std::fs::read(&pdf_path)?.starts_with(b"%PDF-"));
    let scratch = tempfile::tempdir()?;
    check_pdf(&pdf_path, scratch.path());

    assert_eq!(
        reporter
            .export_path("../../etc/passwd", Format::Pdf)
            .await?,
        None
    );
    assert_eq!(reporter.export_path("daily-none", Format::Pdf).await?, None);
    Ok(())
}

async fn an_english_report_uses_the_llm_service_fallback_and_marks_it(
    store: &Store,
) -> anyhow::Result<()> {
    seed_day(store).await;
    let service = support::LlmService::start(&support::closed_url()).await;
    let exports = tempfile::tempdir()?;
    let mut config = config(exports.path(), service.url.clone());
    config.formats = vec![Format::Html, Format::Csv];
    let reporter = Reporter::new(config, store.clone())?;
    let record = reporter
        .generate(ReportKind::OnDemand, day(), Some(Language::En), "alice")
        .await?;

    assert_eq!(record.summary_backend, "fallback");
    assert_eq!(record.formats, ["html", "csv"]);
    assert_eq!(reporter.export_path(&record.id, Format::Pdf).await?, None);
    let html = std::fs::read_to_string(
        reporter
            .export_path(&record.id, Format::Html)
            .await?
            .unwrap(),
    )?;
    assert!(html.contains("<h1>Alert report</h1>"));
    assert!(html.contains("(no language model: rule-based summary)"));
    assert!(html.contains("Summary written by: fallback"));
    Ok(())
}

async fn a_missing_pdf_font_is_a_clear_error_and_nothing_is_recorded(
    store: &Store,
) -> anyhow::Result<()> {
    let exports = tempfile::tempdir()?;
    let mut config = config(exports.path(), String::new());
    config.pdf_font_path = exports.path().join("no-such-font.ttc");
    let reporter = Reporter::new(config, store.clone())?;
    let error = reporter
        .generate(ReportKind::OnDemand, day(), None, "ops")
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with("pdf: font ") && message.contains("no-such-font.ttc"),
        "{message}"
    );
    assert!(message.contains("fonts-arphic-uming"), "{message}");
    assert!(store.reports().list(10).await?.is_empty());
    Ok(())
}

store::test_on_both_backends!(
    a_missing_pdf_font_is_a_clear_error_and_nothing_is_recorded,
    a_daily_report_is_exported_in_three_formats_with_chinese_text,
    an_english_report_uses_the_llm_service_fallback_and_marks_it,
);
