//! Ticket action tests: ServiceNow and generic bodies against a local receiver, one open ticket
//! per alert in the store, the sample config and the family conformance test.

use super::*;
use crate::action::ActionConfig;
use crate::action::conformance::{assert_action_conforms, sample_request};
use crate::action::test_server::{SIGNATURE_SECRET, start_server};

fn sample_config(url: &str) -> TicketConfig {
    let mut config: TicketConfig = match toml::from_str(SAMPLE_CONFIG).unwrap() {
        ActionConfig::Ticket(config) => config,
        other => panic!("the sample is a ticket, not {other:?}"),
    };
    config.url = Secret::new(url);
    config.signature_secret = Some(Secret::new(SIGNATURE_SECRET));
    config
}

#[tokio::test]
async fn a_servicenow_incident_is_created_with_escaped_alert_data() {
    let (base, received) = start_server().await;
    let ticket = Ticket::new(&sample_config(&format!("{base}/hook/incident"))).unwrap();
    let mut request = sample_request(&[("assignee", "maintenance.team")]);
    request
        .transition
        .annotations
        .insert("summary".to_string(), "quote \" and\nnewline".to_string());
    let output = ticket.execute(&request).await.unwrap();
    assert_eq!(output.provider_id.as_deref(), Some("INC0010042"));
    let body: serde_json::Value =
        serde_json::from_slice(&received.lock().unwrap()[0].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "short_description": "[critical] SpindleTemperatureHigh on line-3",
            "description": "quote \" and\nnewline (value 92.5)",
            "state": "1",
            "assigned_to": "maintenance.team",
            "correlation_id": "a1c3e5f7a9b1c3e5",
            "u_severity": "critical",
            "u_alert_link": "https://detectviz.plant-a.example/alerts/a1c3e5f7a9b1c3e5",
        })
    );
    // The example in conf/ shows the same fields the action sends.
    let example: serde_json::Value = serde_json::from_str(include_str!(
        "../../../../conf/provisioning/templates/automation/servicenow-incident.json"
    ))
    .unwrap();
    let keys = |value: &serde_json::Value| -> Vec<String> {
        value.as_object().unwrap().keys().cloned().collect()
    };
    assert_eq!(keys(&example), keys(&body));
}

#[tokio::test]
async fn the_generic_format_opens_a_ticket_with_status_open() {
    let (base, received) = start_server().await;
    let mut config = sample_config(&format!("{base}/hook/tickets"));
    config.format = TicketFormat::Generic;
    config.provider_id_pointer = None;
    config.title = "Title with \"quotes\" {{labels.line}}".to_string();
    let output = Ticket::new(&config)
        .unwrap()
        .execute(&sample_request(&[]))
        .await
        .unwrap();
    assert_eq!(output.provider_id.as_deref(), Some("WO-42"));
    let body: serde_json::Value =
        serde_json::from_slice(&received.lock().unwrap()[0].body).unwrap();
    assert_eq!(body["title"], "Title with \"quotes\" line-3");
    assert_eq!(body["status"], "open");
    assert_eq!(body["severity"], "critical");
    assert_eq!(body["assignee"], "");
}

#[test]
fn a_bad_template_is_refused_when_built() {
    let mut config = sample_config("http://127.0.0.1:9/x");
    config.description = "{{run(\"id\")}}".to_string();
    assert!(Ticket::new(&config).is_err());
}

#[tokio::test]
async fn the_sample_config_parses_builds_and_conforms() {
    let (base, _received) = start_server().await;
    let working = ActionConfig::Ticket(sample_config(&format!("{base}/hook/incident")));
    let broken = ActionConfig::Ticket(sample_config(&format!("{base}/status/503")));
    assert_action_conforms(
        &working,
        &broken,
        true,
        &[SIGNATURE_SECRET, "change-me-too"],
    )
    .await;
}

#[tokio::test]
async fn a_second_firing_reuses_the_open_ticket_in_the_store() {
    let (base, received) = start_server().await;
    let directory = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}",
        directory.path().join("detectviz.db").display()
    );
    let store = store::Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let ticket = Ticket::new(&sample_config(&format!("{base}/hook/incident")))
        .unwrap()
        .with_store(store.clone());
    let request = sample_request(&[("assignee", "maintenance.team")]);
    let first = ticket.execute(&request).await.unwrap();
    assert_eq!(first.provider_id.as_deref(), Some("INC0010042"));
    let second = ticket.execute(&request).await.unwrap();
    assert_eq!(second.provider_id.as_deref(), Some("INC0010042"));
    assert!(second.stdout.contains("reused"), "{}", second.stdout);
    assert_eq!(received.lock().unwrap().len(), 1, "forwarded once");
    let open = store
        .tickets()
        .open_for_fingerprint("a1c3e5f7a9b1c3e5")
        .await
        .unwrap()
        .expect("one open ticket");
    assert_eq!(open.external_id.as_deref(), Some("INC0010042"));
    assert_eq!(open.ticket.assignee, "maintenance.team");
    assert_eq!(open.status, "open");
}
