//! The channel family's conformance test: what every channel must do against a real peer.

use std::time::Duration;

use notifier::sample::sample_notification;
use notifier::{Channel, ChannelError, NotificationStatus};

/// How the peer answers the next sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerAnswer {
    Accept,
    /// HTTP 429 with `Retry-After`; SMTP 452.
    RateLimited {
        retry_after_seconds: u64,
    },
    /// HTTP 500; SMTP 451.
    ServerError,
    /// HTTP 400; SMTP 550.
    BadRequest,
    /// Any HTTP status (HTTP peers only).
    Status(u16),
}

/// One message the peer accepted.
pub struct Received {
    /// The human-readable content: the body, or an email's decoded subject and text part.
    pub readable: String,
}

pub trait ConformancePeer {
    fn answer_with(&self, answer: PeerAnswer);
    fn accepted(&self) -> Vec<Received>;
    /// Whether the peer's rate-limit answer carries a retry delay.
    fn sends_retry_after(&self) -> bool;
}

/// Checks `channel` against `peer`, and `unreachable` (the same kind of channel pointed at a
/// port nothing listens on): deliveries of a firing and a resolved notification, error
/// classification, and that none of `secrets` shows in Debug output or errors.
pub async fn conformance(
    channel: &dyn Channel,
    unreachable: &dyn Channel,
    peer: &dyn ConformancePeer,
    secrets: &[&str],
) {
    let mut printed = vec![format!("{channel:?}"), format!("{unreachable:?}")];

    peer.answer_with(PeerAnswer::Accept);
    let already_accepted = peer.accepted().len();
    for status in [NotificationStatus::Firing, NotificationStatus::Resolved] {
        let notification = sample_notification(status);
        let delivered = channel.send(&notification).await;
        assert!(delivered.is_ok(), "{status:?} not delivered: {delivered:?}");
    }
    let accepted = peer.accepted();
    assert_eq!(
        accepted.len(),
        already_accepted + 2,
        "one message per notification"
    );
    let firing = &accepted[already_accepted].readable;
    let resolved = &accepted[already_accepted + 1].readable;
    for received in [firing, resolved] {
        for expected in ["SpindleTemperatureHigh", "line-3", "line-4"] {
            assert!(
                received.contains(expected),
                "`{expected}` missing from {received}"
            );
        }
    }
    assert!(
        ["FIRING", "firing", "告警中"]
            .iter()
            .any(|word| firing.contains(word)),
        "no firing word in {firing}"
    );
    assert!(
        ["RESOLVED", "resolved", "已恢復"]
            .iter()
            .any(|word| resolved.contains(word)),
        "no resolved word in {resolved}"
    );

    let firing = sample_notification(NotificationStatus::Firing);
    peer.answer_with(PeerAnswer::RateLimited {
        retry_after_seconds: 7,
    });
    let error = expect_failure(channel, &firing).await;
    assert!(
        error.is_retryable(),
        "rate limited must be retryable: {error}"
    );
    let expected_delay = peer.sends_retry_after().then_some(Duration::from_secs(7));
    assert_eq!(error.retry_after(), expected_delay, "{error}");
    printed.push(format!("{error} {error:?}"));

    peer.answer_with(PeerAnswer::ServerError);
    let error = expect_failure(channel, &firing).await;
    assert!(
        error.is_retryable(),
        "a server error must be retryable: {error}"
    );
    printed.push(format!("{error} {error:?}"));

    peer.answer_with(PeerAnswer::BadRequest);
    let error = expect_failure(channel, &firing).await;
    assert!(
        !error.is_retryable(),
        "a rejected message must not be retried: {error}"
    );
    printed.push(format!("{error} {error:?}"));
    peer.answer_with(PeerAnswer::Accept);

    let error = expect_failure(unreachable, &firing).await;
    assert!(
        error.is_retryable(),
        "connection refused must be retryable: {error}"
    );
    assert!(
        matches!(error, ChannelError::Unreachable { .. }),
        "{error:?}"
    );
    printed.push(format!("{error} {error:?}"));

    for text in &printed {
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "secret `{secret}` leaked in: {text}"
            );
        }
    }
}

async fn expect_failure(
    channel: &dyn Channel,
    notification: &notifier::Notification,
) -> ChannelError {
    match channel.send(notification).await {
        Ok(delivered) => panic!("expected a failure, got {delivered:?}"),
        Err(error) => error,
    }
}
