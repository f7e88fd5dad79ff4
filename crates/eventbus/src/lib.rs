//! Detectviz event bus: at-least-once delivery of `detectviz::Event` envelopes on named streams,
//! with consumer groups, redelivery, claiming from dead consumers, dead letters, retention and
//! replay. Two backends with the same semantics sit behind one seam (`backend.rs`):
//!
//! - `redis`: Redis Streams, for several nodes sharing one Redis (the only crate that talks to
//!   Redis);
//! - `embedded`: a SQLite file of the bus's own (default `data/bus.db`), the single-node default.
//!
//! ```no_run
//! # async fn example() -> Result<(), eventbus::BusError> {
//! let bus = eventbus::connect(&eventbus::BusConfig::default()).await?;
//! let event = detectviz::Event::new("/detectviz/alert", "io.detectviz.alert.firing", &1)
//!     .expect("a valid event");
//! bus.publish("dv:alerts", &event).await?;
//! let shutdown = eventbus::CancellationToken::new();
//! bus.subscribe("dv:alerts", "notifier", "node-1", |delivery| async move {
//!     println!("{} {}", delivery.id, delivery.event.event_type);
//!     Ok(())
//! }, shutdown).await?;
//! # Ok(()) }
//! ```
//!
//! The same contract suite (`tests/contract.rs`) runs against both. Metrics (through the
//! `metrics` facade): `detectviz_bus_published_total{stream}`,
//! `detectviz_bus_delivered_total{stream,group}`, `detectviz_bus_acked_total`,
//! `detectviz_bus_redelivered_total`, `detectviz_bus_dead_lettered_total`,
//! `detectviz_bus_handler_errors_total`, `detectviz_bus_publish_errors_total{stream}`, and the
//! gauges `detectviz_bus_consumer_lag{stream,group}` and `detectviz_bus_pending{stream,group}`.

mod backend;
mod bus;
mod config;
mod embedded;
mod embedded_reader;
mod entry;
mod error;
mod redis;
mod redis_reader;
mod redis_reply;
mod subscriber;

pub use bus::{EventBus, connect};
pub use config::{BusBackend, BusConfig, SAMPLE_CONFIG};
pub use entry::{
    DeadLetter, Delivery, EntryId, GroupInfo, ReplayFrom, StreamEntry, StreamInfo,
    dead_letter_stream,
};
pub use error::{BusError, HandlerError};
pub use tokio_util::sync::CancellationToken;
