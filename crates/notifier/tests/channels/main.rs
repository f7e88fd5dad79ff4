//! Every channel against a real peer: aiosmtpd for email, local HTTP servers for Slack, LINE
//! and the webhook. Each runs the family conformance test, then checks its exact wire shape;
//! `pipeline` drives the notification pipeline and `run_notifier` against the same peers.

mod conformance;
mod contacts;
mod email;
mod grouping;
mod http_peer;
mod line;
mod pipeline;
mod send_time_mute;
mod slack;
mod smtp_peer;
mod templates;
mod webhook;
