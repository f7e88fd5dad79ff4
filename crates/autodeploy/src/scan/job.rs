//! One recorded scan, as the CLI and the API run it after creating its row with
//! [`ScanRecorder::start`]: the hosts are probed, progress published on `dv:deploy` (at most every 250 ms, plus
//! the last) and handed to an optional local listener (the CLI's progress bar), then devices
//! recorded and changes published. Bad targets or settings mark the scan `failed`.

use std::time::{Duration, Instant};

use store::ScanRecord;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::error::AutodeployError;
use crate::scan::reconcile::{DeviceChange, ScanRecorder};
use crate::scan::runner::{ScanProgress, ScanReport, run_scan};
use crate::scan::settings::ScanSettings;

const PROGRESS_EVENT_INTERVAL: Duration = Duration::from_millis(250);

/// What a recorded scan produced.
#[derive(Debug, Clone)]
pub struct RecordedScan {
    pub record: ScanRecord,
    pub report: ScanReport,
    pub changes: Vec<DeviceChange>,
}

/// Runs and records scan `scan_id`, whose row [`ScanRecorder::start`] created. An error
/// leaves the scan `failed` with the reason.
pub async fn run_recorded_scan(
    recorder: &ScanRecorder<'_>,
    scan_id: &str,
    targets: &[String],
    settings: &ScanSettings,
    listener: Option<UnboundedSender<ScanProgress>>,
) -> Result<RecordedScan, AutodeployError> {
    let (sender, mut receiver) = unbounded_channel::<ScanProgress>();
    let scanning = run_scan(targets, settings, Some(sender));
    let forwarding = async {
        let mut last_published: Option<Instant> = None;
        let mut pending: Option<ScanProgress> = None;
        while let Some(progress) = receiver.recv().await {
            if let Some(listener) = &listener {
                let _closed = listener.send(progress.clone());
            }
            let due = last_published.is_none_or(|at| at.elapsed() >= PROGRESS_EVENT_INTERVAL);
            if due || progress.hosts_done == progress.hosts_total {
                recorder.progress(scan_id, &progress).await?;
                last_published = Some(Instant::now());
                pending = None;
            } else {
                pending = Some(progress);
            }
        }
        if let Some(progress) = pending {
            recorder.progress(scan_id, &progress).await?;
        }
        Ok::<(), AutodeployError>(())
    };
    let (scanned, forwarded) = tokio::join!(scanning, forwarding);
    let report = match scanned.and_then(|report| forwarded.map(|()| report)) {
        Ok(report) => report,
        Err(error) => {
            recorder.fail(scan_id, &error.to_string()).await?;
            return Err(error);
        }
    };
    let (record, changes) = recorder.finish(scan_id, &report).await?;
    Ok(RecordedScan {
        record,
        report,
        changes,
    })
}
