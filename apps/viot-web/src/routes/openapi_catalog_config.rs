//! The OpenAPI entries of the configuration routes (stored automation rules and the file and
//! CSV editors' files), chained into [`super::openapi_catalog::catalog`].

use serde_json::{Value, json};

use super::openapi_catalog::{RouteDoc, doc, object, with_json};

pub fn catalog() -> Vec<RouteDoc> {
    vec![
        doc(
            "GET",
            "/api/automation/rules",
            "Automation rules, from the config file (read-only) and stored",
        ),
        with_json(
            doc("POST", "/api/automation/rules", "Store an automation rule"),
            automation_rule,
        ),
        doc("GET", "/api/automation/rules/{id}", "One automation rule"),
        with_json(
            doc(
                "PUT",
                "/api/automation/rules/{id}",
                "Replace a stored automation rule",
            ),
            automation_rule,
        ),
        doc(
            "DELETE",
            "/api/automation/rules/{id}",
            "Delete a stored automation rule",
        ),
        doc("GET", "/api/files", "Editable file roots and their files"),
        doc(
            "GET",
            "/api/files/{root}/{path}",
            "One editable file (path with its slashes encoded)",
        ),
        with_json(
            doc(
                "PUT",
                "/api/files/{root}/{path}",
                "Validate and save a file with a snapshot (422 with the errors)",
            ),
            save_file,
        ),
        with_json(
            doc(
                "POST",
                "/api/files/{root}/{path}/validate",
                "Check a file's new content: errors with line and column",
            ),
            file_content,
        ),
        with_json(
            doc(
                "POST",
                "/api/files/{root}/{path}/diff",
                "Unified diff of new content against the saved file",
            ),
            file_content,
        ),
        doc(
            "GET",
            "/api/files/{root}/{path}/snapshots",
            "Saved versions of a file",
        ),
        doc(
            "GET",
            "/api/files/{root}/{path}/snapshots/{version}",
            "One saved version of a file, with its content",
        ),
        doc(
            "POST",
            "/api/files/{root}/{path}/snapshots/{version}/restore",
            "Write a saved version back (as a new version)",
        ),
    ]
}

fn automation_rule() -> Value {
    json!({
        "type": "object",
        "description": "an automation rule, as in [[automation.rules]] of the config file; secrets sent as *** keep the stored value",
        "properties": {
            "id": {"type": "string"}, "name": {"type": "string"},
            "trigger": {"type": "object"}, "action": {"type": "object"},
            "parameters": {"type": "object", "additionalProperties": {"type": "string"}},
            "concurrency_key": {"type": "string"}, "cooldown_s": {"type": "integer", "minimum": 0},
            "timeout_s": {"type": "integer", "minimum": 1}, "max_attempts": {"type": "integer", "minimum": 1},
            "idempotent": {"type": "boolean"}, "notify": {"type": ["object", "null"]},
        },
        "required": ["id", "name", "trigger", "action"],
    })
}

fn file_content() -> Value {
    object(json!({"content": {"type": "string"}}), &["content"])
}

fn save_file() -> Value {
    object(
        json!({
            "content": {"type": "string"},
            "message": {"type": "string"},
            "base_hash": {"type": ["string", "null"]},
        }),
        &["content"],
    )
}
