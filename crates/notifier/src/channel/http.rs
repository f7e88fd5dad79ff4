//! What the HTTP channels (Slack, LINE, webhook) share: one client setup, turning transport
//! errors and error statuses into [`ChannelError`]s without leaking URLs or tokens.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::error::{ChannelError, ConfigError, error_chain};

/// Longest response body kept in an error message, in characters.
const ERROR_BODY_MAX_CHARS: usize = 300;

/// Connect timeout; the overall deadline of a send is the pipeline's business.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A safety bound so a stuck peer cannot hold a send forever.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

pub(crate) fn build_client(channel: &str) -> Result<reqwest::Client, ConfigError> {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("detectviz-notifier/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| {
            ConfigError::invalid(channel, format!("cannot build http client: {error}"))
        })
}

/// Parses `url`, requiring http or https, and returns it with a printable peer description
/// (scheme, host and port only: paths and queries may carry tokens).
pub(crate) fn parse_peer_url(
    channel: &str,
    field: &str,
    url: &str,
) -> Result<(reqwest::Url, String), ConfigError> {
    let parsed = reqwest::Url::parse(url).map_err(|error| {
        ConfigError::invalid(channel, format!("`{field}` is not a url: {error}"))
    })?;
    if parsed.scheme() != "http" && parsed.scheme() != "https" {
        return Err(ConfigError::invalid(
            channel,
            format!("`{field}` must be an http or https url"),
        ));
    }
    let Some(host) = parsed.host_str() else {
        return Err(ConfigError::invalid(
            channel,
            format!("`{field}` has no host"),
        ));
    };
    let peer = match parsed.port() {
        Some(port) => format!("{}://{host}:{port}", parsed.scheme()),
        None => format!("{}://{host}", parsed.scheme()),
    };
    Ok((parsed, peer))
}

/// Maps a transport error; the URL is stripped because it may carry a token.
pub(crate) fn transport_error(channel: &str, peer: &str, error: reqwest::Error) -> ChannelError {
    if error.is_timeout() {
        return ChannelError::TimedOut {
            channel: channel.to_string(),
            peer: peer.to_string(),
        };
    }
    if error.is_builder() {
        return ChannelError::InvalidMessage {
            channel: channel.to_string(),
            reason: error.without_url().to_string(),
        };
    }
    ChannelError::Unreachable {
        channel: channel.to_string(),
        peer: peer.to_string(),
        reason: error_chain(&error.without_url()),
    }
}

/// Reads an error response into a [`ChannelError::HttpStatus`] with the `Retry-After` delay.
pub(crate) async fn status_error(
    channel: &str,
    peer: &str,
    response: reqwest::Response,
) -> ChannelError {
    let status = response.status().as_u16();
    let retry_after = retry_after_from_headers(response.headers());
    let body = response.text().await.unwrap_or_default();
    let body: String = body.trim().chars().take(ERROR_BODY_MAX_CHARS).collect();
    ChannelError::HttpStatus {
        channel: channel.to_string(),
        peer: peer.to_string(),
        status,
        body,
        retry_after,
    }
}

/// `Retry-After` as seconds or as an HTTP date.
pub(crate) fn retry_after_from_headers(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = date.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(
            retry_after_from_headers(&headers),
            Some(Duration::from_secs(7))
        );
        headers.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after_from_headers(&headers), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after_from_headers(&headers), None);
    }

    #[test]
    fn the_peer_description_drops_path_and_query() {
        let (_, peer) = parse_peer_url(
            "ops",
            "url",
            "https://hooks.slack.com/services/T0/B0/secret",
        )
        .unwrap();
        assert_eq!(peer, "https://hooks.slack.com");
        let (_, peer) = parse_peer_url("ops", "url", "http://127.0.0.1:9/x?token=y").unwrap();
        assert_eq!(peer, "http://127.0.0.1:9");
        assert!(parse_peer_url("ops", "url", "ftp://example.org").is_err());
        assert!(parse_peer_url("ops", "url", "not a url").is_err());
    }
}
