//! What the OpenAPI document says about each route: a summary, its request body and query
//! parameters. One entry per route of the book; a test checks both lists are the same, so a
//! new route cannot be added without documenting it here.

use serde_json::{Value, json};

/// A request body.
pub enum RequestBody {
    None,
    /// JSON with this schema.
    Json(fn() -> Value),
    /// Any text of this media type (line protocol, Prometheus text).
    Text(&'static str),
}

/// One documented route.
pub struct RouteDoc {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub body: RequestBody,
    /// Query parameters: (name, JSON schema type).
    pub query: &'static [(&'static str, &'static str)],
}

pub(crate) const fn doc(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
) -> RouteDoc {
    RouteDoc {
        method,
        path,
        summary,
        body: RequestBody::None,
        query: &[],
    }
}

pub(crate) const fn with_json(mut route: RouteDoc, schema: fn() -> Value) -> RouteDoc {
    route.body = RequestBody::Json(schema);
    route
}

pub(crate) const fn with_query(
    mut route: RouteDoc,
    query: &'static [(&'static str, &'static str)],
) -> RouteDoc {
    route.query = query;
    route
}

const fn with_text(mut route: RouteDoc, media_type: &'static str) -> RouteDoc {
    route.body = RequestBody::Text(media_type);
    route
}

pub(crate) fn object(properties: Value, required: &[&str]) -> Value {
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

fn role() -> Value {
    json!({"type": "string", "enum": ["viewer", "operator", "admin"]})
}

fn login() -> Value {
    object(
        json!({"username": {"type": "string"}, "password": {"type": "string"}}),
        &["username", "password"],
    )
}

fn create_user() -> Value {
    object(
        json!({
            "username": {"type": "string"},
            "display_name": {"type": ["string", "null"]},
            "password": {"type": "string"},
            "role": role(),
        }),
        &["username", "password", "role"],
    )
}

fn update_user() -> Value {
    object(
        json!({
            "role": role(),
            "active": {"type": "boolean"},
            "password": {"type": "string"},
        }),
        &[],
    )
}

fn create_token() -> Value {
    object(
        json!({
            "name": {"type": "string"},
            "scopes": {"type": "array", "items": {"type": "string", "enum": ["write", "read", "admin"]}},
            "expires_in_days": {"type": ["integer", "null"], "minimum": 0, "maximum": 4294967295u32},
        }),
        &["name", "scopes"],
    )
}

fn contact() -> Value {
    let names = json!({"type": "array", "items": {"type": "string"}});
    object(
        json!({
            "id": {"type": "string"}, "name": {"type": "string"},
            "email": {"type": "string"}, "phone": {"type": "string"},
            "line_id": {"type": "string"}, "slack_webhook": {"type": "string"},
            "groups": names, "channels": names, "active": {"type": "boolean"},
        }),
        &["id", "name"],
    )
}

fn rule() -> Value {
    json!({"type": "object", "description": "an alert rule, as in a rules file"})
}

fn acknowledge() -> Value {
    object(json!({"comment": {"type": "string"}}), &[])
}

fn postable_alerts() -> Value {
    json!({"type": "array", "items": {"type": "object", "properties": {
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        "startsAt": {"type": "string", "format": "date-time"},
        "endsAt": {"type": "string", "format": "date-time"},
        "generatorURL": {"type": "string"},
    }, "required": ["labels"]}})
}

fn postable_silence() -> Value {
    json!({"type": "object", "properties": {
        "id": {"type": "string"},
        "matchers": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"}, "value": {"type": "string"},
            "isRegex": {"type": "boolean"}, "isEqual": {"type": "boolean"},
        }, "required": ["name", "value", "isRegex"]}},
        "startsAt": {"type": "string", "format": "date-time"},
        "endsAt": {"type": "string", "format": "date-time"},
        "createdBy": {"type": "string"}, "comment": {"type": "string"},
    }, "required": ["matchers", "startsAt", "endsAt", "createdBy", "comment"]})
}

fn telegraf_metrics() -> Value {
    json!({"type": "object", "description": "Telegraf JSON output: one metric or {\"metrics\": [...]}"})
}

fn set_secret() -> Value {
    object(
        json!({"value": {"type": "string", "minLength": 1}}),
        &["value"],
    )
}

/// Every route of the book, documented.
pub fn catalog() -> Vec<RouteDoc> {
    vec![
        doc("GET", "/api/health", "Health of the node and each module"),
        doc("GET", "/metrics", "Prometheus metrics"),
        doc("GET", "/api/openapi.json", "This OpenAPI document"),
        with_json(
            doc(
                "POST",
                "/api/auth/login",
                "Sign in with a local account; sets the session cookie",
            ),
            login,
        ),
        doc(
            "POST",
            "/api/auth/logout",
            "Sign out: ends the session (and names the provider's end-session URL for OIDC)",
        ),
        with_query(
            doc(
                "GET",
                "/auth/oidc/login",
                "Sign in through the OpenID provider: redirects to it (PKCE, state, nonce)",
            ),
            &[("return_to", "string")],
        ),
        with_query(
            doc(
                "GET",
                "/auth/oidc/callback",
                "The OpenID provider's redirect back: opens a session",
            ),
            &[
                ("code", "string"),
                ("state", "string"),
                ("iss", "string"),
                ("error", "string"),
                ("error_description", "string"),
            ],
        ),
        doc(
            "GET",
            "/api/auth/me",
            "The caller's name, role and CSRF token",
        ),
        with_text(
            with_query(
                doc("POST", "/write", "InfluxDB 1.x line protocol write"),
                &[
                    ("db", "string"),
                    ("rp", "string"),
                    ("precision", "string"),
                    ("u", "string"),
                    ("p", "string"),
                    ("consistency", "string"),
                ],
            ),
            "text/plain",
        ),
        with_text(
            with_query(
                doc("POST", "/api/v2/write", "InfluxDB 2.x line protocol write"),
                &[
                    ("org", "string"),
                    ("orgID", "string"),
                    ("bucket", "string"),
                    ("precision", "string"),
                ],
            ),
            "text/plain",
        ),
        with_json(
            with_query(
                doc("POST", "/api/v1/telegraf", "Telegraf JSON write"),
                &[("timestamp_units", "string")],
            ),
            telegraf_metrics,
        ),
        with_json(
            doc("POST", "/api/v2/alerts", "Alertmanager API: push alerts"),
            postable_alerts,
        ),
        doc("GET", "/api/v2/alerts", "Alertmanager API: current alerts"),
        doc("GET", "/api/v2/silences", "Alertmanager API: silences"),
        with_json(
            doc(
                "POST",
                "/api/v2/silences",
                "Alertmanager API: create or update a silence",
            ),
            postable_silence,
        ),
        doc(
            "GET",
            "/api/v2/silence/{id}",
            "Alertmanager API: one silence",
        ),
        doc(
            "DELETE",
            "/api/v2/silence/{id}",
            "Alertmanager API: expire a silence",
        ),
        with_query(
            doc("GET", "/api/alerts", "Alerts with their state"),
            &[
                ("state", "string"),
                ("severity", "string"),
                ("rule_id", "string"),
                ("label", "string"),
                ("limit", "integer"),
            ],
        ),
        doc(
            "GET",
            "/api/alerts/{fingerprint}",
            "One alert with its history",
        ),
        with_json(
            doc(
                "POST",
                "/api/alerts/{fingerprint}/ack",
                "Acknowledge an alert",
            ),
            acknowledge,
        ),
        doc(
            "DELETE",
            "/api/alerts/{fingerprint}/ack",
            "Withdraw an acknowledgement",
        ),
        doc("GET", "/api/rules", "Alert rules the engine runs"),
        with_json(doc("POST", "/api/rules", "Store an alert rule"), rule),
        doc("GET", "/api/rules/{id}", "One alert rule"),
        with_json(
            doc("PUT", "/api/rules/{id}", "Replace a stored alert rule"),
            rule,
        ),
        doc("DELETE", "/api/rules/{id}", "Delete a stored alert rule"),
        doc("GET", "/api/contacts", "Contacts (Slack webhooks masked)"),
        with_json(doc("POST", "/api/contacts", "Create a contact"), contact),
        doc("GET", "/api/contacts/{id}", "One contact"),
        with_json(
            doc("PUT", "/api/contacts/{id}", "Replace a contact"),
            contact,
        ),
        doc("DELETE", "/api/contacts/{id}", "Delete a contact"),
        doc(
            "GET",
            "/api/notifier/routes",
            "Notifier route tree and receivers from the config (read-only)",
        ),
        doc("GET", "/api/users", "Local users"),
        with_json(
            doc("POST", "/api/users", "Create a local user"),
            create_user,
        ),
        with_json(
            doc(
                "PATCH",
                "/api/users/{id}",
                "Change a user's role, state or password",
            ),
            update_user,
        ),
        doc("DELETE", "/api/users/{id}", "Delete a user"),
        doc("GET", "/api/tokens", "API tokens (never their secrets)"),
        with_json(
            doc(
                "POST",
                "/api/tokens",
                "Create an API token; the secret is shown once",
            ),
            create_token,
        ),
        doc("DELETE", "/api/tokens/{id}", "Revoke an API token"),
        doc(
            "GET",
            "/api/secrets",
            "Stored secrets, newest version each (masked)",
        ),
        doc(
            "GET",
            "/api/secrets/{name}",
            "Every version of a secret (masked)",
        ),
        with_json(
            doc(
                "PUT",
                "/api/secrets/{name}",
                "Store a new version of a secret",
            ),
            set_secret,
        ),
        doc(
            "DELETE",
            "/api/secrets/{name}",
            "Delete every version of a secret",
        ),
        with_query(
            doc("GET", "/api/audit", "The audit log"),
            &[
                ("actor", "string"),
                ("action", "string"),
                ("since", "integer"),
                ("until", "integer"),
                ("limit", "integer"),
            ],
        ),
        with_query(
            doc("GET", "/api/notifications", "Notification delivery status"),
            &[
                ("status", "string"),
                ("receiver", "string"),
                ("fingerprint", "string"),
                ("limit", "integer"),
                ("before", "integer"),
            ],
        ),
        doc(
            "GET",
            "/api/notifications/{id}",
            "One notification's delivery status",
        ),
        doc(
            "GET",
            "/api/tasks/actions",
            "Actions that can be run by hand",
        ),
        doc("GET", "/api/tasks/runs", "Automation runs"),
        doc("POST", "/api/tasks/runs", "Run an action by hand"),
        doc("GET", "/api/tasks/runs/{id}", "One automation run"),
        doc(
            "GET",
            "/api/tasks/runs/{id}/output",
            "A run's live output (SSE)",
        ),
        doc(
            "POST",
            "/api/tasks/runs/{id}/cancel",
            "Cancel a running action",
        ),
        doc("GET", "/api/tickets", "Tickets"),
        doc("GET", "/api/tickets/{id}", "One ticket"),
        doc(
            "PATCH",
            "/api/tickets/{id}",
            "Change a ticket's status or assignee",
        ),
        doc("GET", "/api/devices", "Discovered devices"),
        doc("GET", "/api/scans", "Device scans"),
        doc("POST", "/api/scans", "Start a device scan"),
        doc("GET", "/api/scans/{id}", "One device scan"),
        doc(
            "GET",
            "/api/analyzer",
            "Model rules and the anomaly service's state",
        ),
        doc("GET", "/api/reports", "Generated reports"),
        doc("POST", "/api/reports", "Generate a report now"),
        doc(
            "GET",
            "/api/reports/{id}/{format}",
            "Download a report (html, csv, pdf)",
        ),
        doc("GET", "/", "Console: home or sign-in page"),
        doc("GET", "/login", "Console: sign-in page"),
        doc("GET", "/pages/{name}", "Console: a page"),
        doc("GET", "/components/{name}", "Console: a page fragment"),
        doc("GET", "/static/{*path}", "Console: static files"),
        doc(
            "GET",
            "/console/events",
            "Console: live alert changes (SSE)",
        ),
        doc("GET", "/api/console/alerts", "Console: a page of alerts"),
        with_query(
            doc(
                "GET",
                "/api/console/logs",
                "Console: recent Detectviz log entries (operator)",
            ),
            &[
                ("level", "string"),
                ("module", "string"),
                ("search", "string"),
                ("limit", "integer"),
            ],
        ),
        doc(
            "GET",
            "/console/logs/events",
            "Console: new log entries as they are written (SSE, operator)",
        ),
        doc(
            "POST",
            "/console/preferences",
            "Console: language and time zone",
        ),
    ]
    .into_iter()
    .chain(super::openapi_catalog_deploy::catalog())
    .chain(super::openapi_catalog_config::catalog())
    .collect()
}
