//! Every channel against a real peer: aiosmtpd for email, local HTTP servers for Slack, LINE
//! and the webhook. Each runs the family conformance test, then checks its exact wire shape.

mod conformance;
mod email;
mod http_peer;
mod line;
mod slack;
mod smtp_peer;
mod webhook;
