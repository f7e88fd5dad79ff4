//! Detectviz notifier: notifications built from alert transitions and the channels that
//! deliver them.
//!
//! This crate holds the channel half of the notifier. A [`Notification`] is one message for
//! one receiver about one group of alerts, built from [`detectviz::AlertTransition`]s. A
//! [`Channel`] (email, Slack, LINE Messaging API, Alertmanager-style webhook) delivers it in
//! exactly one attempt and reports whether a failure is worth retrying. Routing, grouping,
//! muting, retries, rate limits, timeouts and metrics belong to the pipeline around the
//! channels, never to a channel itself.

pub mod channel;
pub mod error;
pub mod notification;
pub mod render;
pub mod sample;
pub mod secret;

pub use channel::{Channel, ChannelConfig, Delivered, SendFuture};
pub use error::{ChannelError, ConfigError, NotificationError};
pub use notification::{Notification, NotificationAlert, NotificationContext, NotificationStatus};
pub use render::Language;
pub use secret::Secret;
