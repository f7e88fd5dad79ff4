//! Process metrics in the Prometheus naming convention, read from `/proc/self` at scrape time.

use std::sync::OnceLock;

static START_TIME_SECONDS: OnceLock<f64> = OnceLock::new();

/// Remembers when the process started; call once early in `main`.
pub fn mark_process_start() {
    START_TIME_SECONDS.get_or_init(|| chrono::Utc::now().timestamp_millis() as f64 / 1000.0);
}

/// Writes the `process_*` gauges; missing `/proc` (not Linux) leaves them out.
pub fn record_process_metrics() {
    mark_process_start();
    metrics::gauge!("process_start_time_seconds")
        .set(*START_TIME_SECONDS.get().expect("set above"));
    if let Some(resident_bytes) = resident_memory_bytes() {
        metrics::gauge!("process_resident_memory_bytes").set(resident_bytes as f64);
    }
    if let Some(cpu_seconds) = cpu_seconds() {
        metrics::gauge!("process_cpu_seconds_total").set(cpu_seconds);
    }
    if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
        metrics::gauge!("process_open_fds").set(entries.count() as f64);
    }
}

/// Resident set size from `/proc/self/status` (`VmRSS:  1234 kB`).
pub fn resident_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kilobytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes * 1024)
}

/// User plus system CPU time from `/proc/self/stat` (fields 14 and 15, in clock ticks).
fn cpu_seconds() -> Option<f64> {
    const CLOCK_TICKS_PER_SECOND: f64 = 100.0;
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name may contain spaces; fields after it are counted from the last ')'.
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let user_ticks: f64 = fields.get(11)?.parse().ok()?;
    let system_ticks: f64 = fields.get(12)?.parse().ok()?;
    Some((user_ticks + system_ticks) / CLOCK_TICKS_PER_SECOND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_figures_are_read_from_proc() {
        let resident = resident_memory_bytes().expect("Linux has /proc/self/status");
        assert!(
            resident > 1024 * 1024,
            "a test process uses more than 1 MiB: {resident}"
        );
        assert!(cpu_seconds().expect("Linux has /proc/self/stat") >= 0.0);
    }
}
