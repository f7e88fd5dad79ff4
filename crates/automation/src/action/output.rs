//! Capped output: a process or peer may print without bound, a run record keeps at most a
//! fixed number of bytes and says so with a marker. Reading goes on past the cap (into a small
//! scratch buffer that is thrown away) so a chatty child never blocks on a full pipe, and
//! memory stays bounded whatever it prints.

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::action::LiveOutput;

/// Bytes of stdout or stderr kept by default.
pub const DEFAULT_OUTPUT_CAP_BYTES: usize = 64 * 1024;

/// Appended to output that was cut at the cap.
pub const TRUNCATED_MARKER: &str = "\n… [truncated]";

/// Reads `reader` to its end, keeping the first `cap_bytes` bytes, and copying them to `live`
/// as they come.
pub async fn read_capped(
    mut reader: impl AsyncRead + Unpin,
    cap_bytes: usize,
    live: Option<&LiveOutput>,
) -> String {
    let mut kept = Vec::with_capacity(cap_bytes.min(8 * 1024));
    let mut scratch = [0_u8; 8 * 1024];
    let mut truncated = false;
    loop {
        let read = match reader.read(&mut scratch).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        let room = cap_bytes.saturating_sub(kept.len());
        if read > room {
            truncated = true;
        }
        let kept_now = &scratch[..read.min(room)];
        if let Some(live) = live
            && !kept_now.is_empty()
        {
            // No receiver is fine: nobody is watching.
            let _ = live.0.send(String::from_utf8_lossy(kept_now).into_owned());
        }
        kept.extend_from_slice(kept_now);
    }
    capped_text(&kept, truncated)
}

/// `bytes` as text (invalid UTF-8 replaced), cut to `cap_bytes` with the marker when longer.
pub fn cap_bytes_to_text(bytes: &[u8], cap_bytes: usize) -> String {
    let kept = &bytes[..bytes.len().min(cap_bytes)];
    capped_text(kept, bytes.len() > cap_bytes)
}

fn capped_text(kept: &[u8], truncated: bool) -> String {
    let mut text = String::from_utf8_lossy(kept).into_owned();
    if truncated {
        text.push_str(TRUNCATED_MARKER);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn output_past_the_cap_is_cut_with_a_marker() {
        let flood = vec![b'x'; 100_000];
        let text = read_capped(flood.as_slice(), 1_000, None).await;
        assert_eq!(text.len(), 1_000 + TRUNCATED_MARKER.len());
        assert!(text.ends_with(TRUNCATED_MARKER));
        let short = read_capped(&b"hello"[..], 1_000, None).await;
        assert_eq!(short, "hello");
        assert_eq!(
            cap_bytes_to_text(b"abcdef", 3),
            format!("abc{TRUNCATED_MARKER}")
        );
        assert_eq!(cap_bytes_to_text(b"abc", 3), "abc");
    }
}
