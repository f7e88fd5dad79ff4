//! The OpenAPI entries of the deploy, snapshot and health-check target routes, chained into
//! [`super::openapi_catalog::catalog`].

use serde_json::{Value, json};

use super::openapi_catalog::{RouteDoc, doc, object, with_json, with_query};

pub fn catalog() -> Vec<RouteDoc> {
    vec![
        with_json(
            doc(
                "POST",
                "/api/devices/{id}/validate",
                "Validate a device against its profile, field by field",
            ),
            validate_device,
        ),
        with_json(
            doc(
                "POST",
                "/api/deploy",
                "Deploy Telegraf files for devices (or the diff on dry_run)",
            ),
            deploy,
        ),
        doc(
            "GET",
            "/api/snapshots",
            "Snapshots of telegraf.d, newest first",
        ),
        doc("GET", "/api/snapshots/{id}", "One snapshot with its files"),
        with_query(
            doc(
                "GET",
                "/api/snapshots/{id}/diff",
                "Unified diff from a snapshot to another or to the present files",
            ),
            &[("against", "string")],
        ),
        doc(
            "POST",
            "/api/snapshots/{id}/rollback",
            "Restore telegraf.d to a snapshot and reload Telegraf",
        ),
        doc(
            "GET",
            "/api/healthcheck/targets",
            "Health-check targets and their Telegraf blocks",
        ),
        with_json(
            doc(
                "PUT",
                "/api/healthcheck/targets",
                "Replace the health-check targets CSV",
            ),
            healthcheck_targets,
        ),
    ]
}

fn validate_device() -> Value {
    object(
        json!({
            "credentials": {"type": "array", "items": {"type": "object"}},
            "timeout_ms": {"type": "integer", "minimum": 1},
        }),
        &[],
    )
}

fn deploy() -> Value {
    object(
        json!({
            "devices": {"type": "array", "items": {"type": "string"}},
            "dry_run": {"type": "boolean"},
            "message": {"type": "string"},
        }),
        &[],
    )
}

fn healthcheck_targets() -> Value {
    object(json!({"csv": {"type": "string"}}), &["csv"])
}
