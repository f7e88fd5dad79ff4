//! How far the scans this process is running have got, for `GET /api/scans/{id}` and the
//! console's progress bar. The store row of a scan only changes when it starts and ends;
//! progress goes to `dv:deploy` and, through the scan's local listener, here. One board per
//! process (a scan runs on the node that accepted it), entries dropped when a scan ends.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use autodeploy::scan::ScanProgress;

/// Hosts probed so far and devices found so far, by scan id.
static RUNNING_SCANS: LazyLock<Mutex<HashMap<String, ScanProgress>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn board() -> std::sync::MutexGuard<'static, HashMap<String, ScanProgress>> {
    RUNNING_SCANS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Keeps the newest progress of `scan_id`.
pub fn record(scan_id: &str, progress: ScanProgress) {
    board().insert(scan_id.to_string(), progress);
}

/// The newest progress of a scan running here, if any.
pub fn current(scan_id: &str) -> Option<ScanProgress> {
    board().get(scan_id).cloned()
}

/// Forgets a scan that ended (its row now holds the totals).
pub fn forget(scan_id: &str) {
    board().remove(scan_id);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_kept_until_the_scan_is_forgotten() {
        let progress = ScanProgress {
            hosts_total: 4,
            hosts_done: 1,
            devices_found: 0,
            last_host: "10.0.0.1".into(),
        };
        record("scan-a", progress.clone());
        assert_eq!(current("scan-a"), Some(progress));
        forget("scan-a");
        assert_eq!(current("scan-a"), None);
    }
}
