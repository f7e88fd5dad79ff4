//! Decoding of request bodies sent with `Content-Encoding: gzip` (Telegraf's default for both
//! InfluxDB outputs), with a cap on the decompressed size so a small bomb cannot fill memory.

use std::io::Read as _;

/// Why a request body could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum BodyDecodeError {
    /// The decompressed body is larger than the limit: the web layer answers 413.
    #[error("request body is larger than {limit_bytes} bytes once decompressed")]
    TooLarge { limit_bytes: usize },
    #[error("request body is not valid gzip: {0}")]
    InvalidGzip(std::io::Error),
    #[error("unsupported content encoding {0:?} (use gzip or identity)")]
    UnsupportedEncoding(String),
}

/// Decompresses a gzip body (several concatenated members allowed), failing with
/// [`BodyDecodeError::TooLarge`] as soon as the output would exceed `max_decompressed_bytes`.
pub fn decode_gzip(
    compressed: &[u8],
    max_decompressed_bytes: usize,
) -> Result<Vec<u8>, BodyDecodeError> {
    let decoder = flate2::read::MultiGzDecoder::new(compressed);
    let read_limit = u64::try_from(max_decompressed_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut decompressed = Vec::with_capacity(
        compressed
            .len()
            .saturating_mul(4)
            .min(max_decompressed_bytes),
    );
    decoder
        .take(read_limit)
        .read_to_end(&mut decompressed)
        .map_err(BodyDecodeError::InvalidGzip)?;
    if decompressed.len() > max_decompressed_bytes {
        return Err(BodyDecodeError::TooLarge {
            limit_bytes: max_decompressed_bytes,
        });
    }
    Ok(decompressed)
}

/// Decodes a body by its `Content-Encoding` header: absent or `identity` passes the body
/// through (still checking the limit), `gzip` decompresses it.
pub fn decode_body(
    content_encoding: Option<&str>,
    body: &[u8],
    max_decompressed_bytes: usize,
) -> Result<Vec<u8>, BodyDecodeError> {
    let encoding = content_encoding.map(str::trim).unwrap_or("identity");
    if encoding.eq_ignore_ascii_case("gzip") || encoding.eq_ignore_ascii_case("x-gzip") {
        return decode_gzip(body, max_decompressed_bytes);
    }
    if !(encoding.is_empty() || encoding.eq_ignore_ascii_case("identity")) {
        return Err(BodyDecodeError::UnsupportedEncoding(encoding.to_owned()));
    }
    if body.len() > max_decompressed_bytes {
        return Err(BodyDecodeError::TooLarge {
            limit_bytes: max_decompressed_bytes,
        });
    }
    Ok(body.to_vec())
}
