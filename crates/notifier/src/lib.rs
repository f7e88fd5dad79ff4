//! Detectviz notifier: notifications built from alert transitions and the channels that
//! deliver them.
//!
//! A [`Notification`] is one message for one receiver about one group of alerts, built from
//! [`detectviz::AlertTransition`]s. A [`Channel`] (email, Slack, LINE Messaging API, Alertmanager-style webhook) delivers it in
//! exactly one attempt and reports whether a failure is worth retrying. Routing, grouping,
//! muting, retries, rate limits, timeouts and metrics belong to the pipeline around the
//! channels, never to a channel itself: [`route`] (the route tree), [`mute`], [`group`]
//! (timers), [`retry`] (backoff and rate limits) and [`pipeline`] (the durable outbox in the
//! store's `notifications` table), driven by [`run_notifier`] on `dv:alerts`.
//!
//! The dependency on the `alert` crate is on its pure predicates only (label matchers,
//! silences, maintenance windows, inhibition, acknowledgements) and the stream name; the
//! notifier never calls the alert engine itself.

pub mod channel;
pub mod config;
pub mod error;
pub mod group;
pub mod mute;
pub mod notification;
pub mod pipeline;
pub mod render;
pub mod retry;
pub mod route;
pub mod runner;
pub mod sample;
pub mod template;

pub use channel::{Channel, ChannelConfig, Delivered, SendFuture};
pub use config::{NotifierConfig, RateLimitConfig, ReceiverConfig, RetryConfig};
pub use detectviz::Secret;
pub use error::{ChannelError, ConfigError, NotificationError, NotifierError};
pub use notification::{Notification, NotificationAlert, NotificationContext, NotificationStatus};
pub use pipeline::{DeliveryReport, Pipeline};
pub use render::Language;
pub use route::{MatchedRoute, RouteConfig, TimeWindow, route};
pub use runner::{NOTIFIER_GROUP, run_notifier};
