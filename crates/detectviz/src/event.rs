//! The event envelope carried on the event bus.
//!
//! Attribute names follow CloudEvents 1.0 (`specversion`, `id`, `source`, `type`, `time`,
//! `datacontenttype`), plus the W3C `traceparent` extension so one trace follows a value from
//! ingest to notification, and a `schemaversion` extension that versions the JSON `data`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// The CloudEvents specification version every envelope carries.
pub const CLOUDEVENTS_SPEC_VERSION: &str = "1.0";
/// The version of the `data` payload schemas this build writes.
pub const EVENT_SCHEMA_VERSION: u32 = 1;

/// Why an envelope could not be built or read.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("event is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("event attribute `{attribute}` is invalid: {reason}")]
    InvalidAttribute {
        attribute: &'static str,
        reason: String,
    },
}

/// One event: CloudEvents attributes plus a JSON payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub specversion: String,
    /// Unique id (UUID v7, so ids sort by creation time).
    pub id: String,
    /// Who produced it, as a URI reference such as `/detectviz/alert`.
    pub source: String,
    /// What happened, reverse-DNS style, such as `io.detectviz.alert.firing`.
    #[serde(rename = "type")]
    pub event_type: String,
    pub time: DateTime<Utc>,
    pub datacontenttype: String,
    /// W3C trace context of the producer, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    /// Version of the `data` payload's schema.
    pub schemaversion: u32,
    pub data: serde_json::Value,
}

impl Event {
    /// Builds an envelope with a fresh id and the current time.
    pub fn new(
        source: impl Into<String>,
        event_type: impl Into<String>,
        data: &impl Serialize,
    ) -> Result<Event, EventError> {
        let event = Event {
            specversion: CLOUDEVENTS_SPEC_VERSION.to_string(),
            id: uuid::Uuid::now_v7().to_string(),
            source: source.into(),
            event_type: event_type.into(),
            time: Utc::now(),
            datacontenttype: "application/json".to_string(),
            traceparent: None,
            schemaversion: EVENT_SCHEMA_VERSION,
            data: serde_json::to_value(data)?,
        };
        event.validate()?;
        Ok(event)
    }

    pub fn with_traceparent(mut self, traceparent: impl Into<String>) -> Event {
        self.traceparent = Some(traceparent.into());
        self
    }

    /// Serialises the envelope as compact JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an event always serialises")
    }

    /// Parses and validates an envelope read from the bus.
    pub fn from_json(text: &[u8]) -> Result<Event, EventError> {
        let event: Event = serde_json::from_slice(text)?;
        event.validate()?;
        Ok(event)
    }

    /// Decodes the payload into a typed struct.
    pub fn data_as<T: DeserializeOwned>(&self) -> Result<T, EventError> {
        Ok(T::deserialize(&self.data)?)
    }

    fn validate(&self) -> Result<(), EventError> {
        if self.specversion != CLOUDEVENTS_SPEC_VERSION {
            return Err(EventError::InvalidAttribute {
                attribute: "specversion",
                reason: format!(
                    "expected {CLOUDEVENTS_SPEC_VERSION}, got {:?}",
                    self.specversion
                ),
            });
        }
        for (attribute, value) in [
            ("id", &self.id),
            ("source", &self.source),
            ("type", &self.event_type),
        ] {
            if value.trim().is_empty() {
                return Err(EventError::InvalidAttribute {
                    attribute,
                    reason: "must not be empty".into(),
                });
            }
        }
        if let Some(traceparent) = &self.traceparent
            && !is_valid_traceparent(traceparent)
        {
            return Err(EventError::InvalidAttribute {
                attribute: "traceparent",
                reason: format!("{traceparent:?} is not `00-<32 hex>-<16 hex>-<2 hex>`"),
            });
        }
        Ok(())
    }
}

fn is_valid_traceparent(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let expected_lengths = [2, 32, 16, 2];
    parts.len() == 4
        && parts.iter().zip(expected_lengths).all(|(part, length)| {
            part.len() == length && part.chars().all(|c| c.is_ascii_hexdigit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_round_trips_with_cloudevents_attribute_names() {
        let event = Event::new(
            "/detectviz/test",
            "io.detectviz.test",
            &serde_json::json!({"value": 1}),
        )
        .unwrap()
        .with_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        let json: serde_json::Value = serde_json::from_str(&event.to_json()).unwrap();
        for attribute in [
            "specversion",
            "id",
            "source",
            "type",
            "time",
            "datacontenttype",
            "traceparent",
        ] {
            assert!(
                json.get(attribute).is_some(),
                "missing {attribute} in {json}"
            );
        }
        assert_eq!(json["schemaversion"], EVENT_SCHEMA_VERSION);
        let parsed = Event::from_json(event.to_json().as_bytes()).unwrap();
        assert_eq!(parsed, event);
    }

    #[test]
    fn a_broken_envelope_names_the_bad_attribute() {
        let mut event = Event::new("/s", "t", &1).unwrap();
        event.specversion = "0.3".into();
        let error = Event::from_json(event.to_json().as_bytes()).unwrap_err();
        assert!(error.to_string().contains("specversion"), "{error}");

        event.specversion = "1.0".into();
        event.traceparent = Some("nope".into());
        let error = Event::from_json(event.to_json().as_bytes()).unwrap_err();
        assert!(error.to_string().contains("traceparent"), "{error}");

        assert!(Event::from_json(b"not json").is_err());
    }
}
