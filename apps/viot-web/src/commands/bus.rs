//! `detectviz bus info`, `bus dead-letters` and `detectviz replay`, and the bus's health check.

use std::path::Path;

use eventbus::{EntryId, EventBus, ReplayFrom, StreamInfo};

use super::CommandError;
use crate::cli::BusCommand;
use crate::config::load_config;
use crate::health::HealthRegistry;

async fn open_bus(config_path: &Path) -> Result<EventBus, CommandError> {
    let config = load_config(config_path)?;
    Ok(eventbus::connect(&config.bus).await?)
}

pub async fn run_bus_command(config_path: &Path, command: BusCommand) -> Result<(), CommandError> {
    let bus = open_bus(config_path).await?;
    match command {
        BusCommand::Info { stream, json } => {
            let streams = match stream {
                Some(stream) => vec![stream],
                None => bus.streams().await?,
            };
            let mut infos = Vec::with_capacity(streams.len());
            for stream in streams {
                infos.push(bus.info(&stream).await?);
            }
            if json {
                let json =
                    serde_json::to_string_pretty(&infos.iter().map(info_json).collect::<Vec<_>>())
                        .expect("plain values serialise");
                println!("{json}");
            } else {
                print_info_table(bus.backend_name(), &infos);
            }
        }
        BusCommand::DeadLetters { stream, limit } => {
            for dead_letter in bus.dead_letters(&stream, limit).await? {
                let line = serde_json::json!({
                    "dead_letter_id": dead_letter.dead_letter_id.to_string(),
                    "entry_id": dead_letter.entry_id.to_string(),
                    "group": dead_letter.group,
                    "consumer": dead_letter.consumer,
                    "delivery_count": dead_letter.delivery_count,
                    "error": dead_letter.error,
                    "dead_at": dead_letter.dead_at,
                    "payload": dead_letter.payload,
                });
                println!("{line}");
            }
        }
    }
    Ok(())
}

/// Parses `--from`: an entry id, else an RFC 3339 time.
pub fn parse_replay_start(text: &str) -> Result<ReplayFrom, CommandError> {
    if let Ok(id) = text.parse::<EntryId>() {
        return Ok(ReplayFrom::Id(id));
    }
    match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(time) => Ok(ReplayFrom::Time(time.with_timezone(&chrono::Utc))),
        Err(_) => Err(CommandError::Usage(format!(
            "--from {text:?} is neither an entry id (1732500000000-0) nor an RFC 3339 time (2026-11-25T08:00:00+08:00)"
        ))),
    }
}

pub async fn replay(
    config_path: &Path,
    stream: &str,
    from: &str,
    limit: usize,
) -> Result<(), CommandError> {
    let start = parse_replay_start(from)?;
    let bus = open_bus(config_path).await?;
    for entry in bus.replay(stream, start, limit).await? {
        let payload: serde_json::Value =
            serde_json::from_slice(&entry.payload).unwrap_or_else(|_| {
                serde_json::Value::String(String::from_utf8_lossy(&entry.payload).into_owned())
            });
        println!(
            "{}",
            serde_json::json!({"id": entry.id.to_string(), "event": payload})
        );
    }
    Ok(())
}

pub fn register_bus_health(health: &HealthRegistry, bus: &EventBus) {
    let bus = bus.clone();
    health.register_check("bus", true, move || {
        let bus = bus.clone();
        async move {
            match bus.health().await {
                Ok(()) => Ok(format!("{} backend", bus.backend_name())),
                Err(error) => Err(error.to_string()),
            }
        }
    });
}

pub fn info_json(info: &StreamInfo) -> serde_json::Value {
    let groups: Vec<serde_json::Value> = info
        .groups
        .iter()
        .map(|group| {
            serde_json::json!({
                "name": group.name,
                "consumers": group.consumers,
                "pending": group.pending,
                "lag": group.lag,
                "last_delivered_id": group.last_delivered_id.to_string(),
            })
        })
        .collect();
    serde_json::json!({
        "stream": info.stream,
        "length": info.length,
        "first_id": info.first_id.map(|id| id.to_string()),
        "last_id": info.last_id.map(|id| id.to_string()),
        "groups": groups,
    })
}

fn print_info_table(backend: &str, infos: &[StreamInfo]) {
    println!("backend: {backend}");
    println!(
        "{:<28} {:>10}  {:<16} {:>9} {:>9} {:>9}",
        "STREAM", "LENGTH", "GROUP", "CONSUMERS", "PENDING", "LAG"
    );
    for info in infos {
        if info.groups.is_empty() {
            println!("{:<28} {:>10}  {:<16}", info.stream, info.length, "-");
        }
        for group in &info.groups {
            println!(
                "{:<28} {:>10}  {:<16} {:>9} {:>9} {:>9}",
                info.stream, info.length, group.name, group.consumers, group.pending, group.lag
            );
        }
    }
}
