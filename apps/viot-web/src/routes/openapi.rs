//! `GET /api/openapi.json`: an OpenAPI 3.1 document of every route in the route book, with
//! the summaries and request schemas of [`openapi_catalog`](super::openapi_catalog).
//!
//! Public on purpose: it describes shapes, never data or configuration, every route it lists
//! already answers 401 to strangers, and client generators and API fuzzers fetch it before
//! they hold credentials.

use axum::Json;
use axum::extract::State;
use axum::http::Method;
use serde_json::{Map, Value, json};

use super::book::{RouteBook, RouteEntry};
use super::openapi_catalog::{RequestBody, RouteDoc, catalog};
use crate::auth::{Access, UserRole};
use crate::state::AppState;

pub fn add_routes(book: RouteBook) -> RouteBook {
    book.add(
        Method::GET,
        "/api/openapi.json",
        Access::Public,
        openapi_document,
    )
}

async fn openapi_document(State(state): State<AppState>) -> Json<Value> {
    let entries = super::route_book(state).entries().to_vec();
    Json(document(&entries))
}

/// The document for `entries`; a route missing from the catalog gets a placeholder summary.
pub fn document(entries: &[RouteEntry]) -> Value {
    let docs = catalog();
    let mut paths = Map::new();
    for entry in entries {
        let method = entry.method.as_str();
        let route_doc = docs
            .iter()
            .find(|route_doc| route_doc.method == method && route_doc.path == entry.path);
        let operation = operation(entry, route_doc);
        let path_item = paths
            .entry(entry.path.to_string())
            .or_insert_with(|| json!({}));
        path_item[method.to_ascii_lowercase()] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Detectviz",
            "version": detectviz::VERSION,
            "description": "Monitoring, alerting and automation. Send an API token as `Authorization: Bearer <token>`; console sessions use the `dv_session` cookie and send the `x-csrf-token` header on changes.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "dv_session"},
            },
            "schemas": {"Error": error_schema()},
        },
    })
}

fn operation(entry: &RouteEntry, route_doc: Option<&RouteDoc>) -> Value {
    let summary = route_doc.map_or("(undocumented)", |route_doc| route_doc.summary);
    let mut operation = json!({
        "operationId": operation_id(entry),
        "summary": summary,
        "description": format!("Access: {}.", access_text(entry.access)),
        "responses": {
            "200": {"description": "success"},
            "default": {"description": "an error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        },
    });
    let mut parameters: Vec<Value> = path_parameters(entry.path);
    if let Some(route_doc) = route_doc {
        parameters.extend(route_doc.query.iter().map(|(name, schema_type)| {
            json!({"name": name, "in": "query", "required": false, "schema": {"type": schema_type}})
        }));
        if let Some(body) = request_body(&route_doc.body) {
            operation["requestBody"] = body;
        }
    }
    if !parameters.is_empty() {
        operation["parameters"] = Value::Array(parameters);
    }
    if entry.access != Access::Public {
        operation["security"] = json!([{"bearerAuth": []}, {"sessionCookie": []}]);
    }
    operation
}

fn request_body(body: &RequestBody) -> Option<Value> {
    match body {
        RequestBody::None => None,
        RequestBody::Json(schema) => Some(json!({
            "required": true,
            "content": {"application/json": {"schema": schema()}},
        })),
        RequestBody::Text(media_type) => Some(json!({
            "required": true,
            "content": {*media_type: {"schema": {"type": "string"}}},
        })),
    }
}

/// `{id}` of users and tokens and `{version}` are numbers; every other path parameter is text.
fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let numeric = (name == "id"
                && (path.starts_with("/api/users") || path.starts_with("/api/tokens")))
                || name == "version";
            let schema = if numeric {
                json!({"type": "integer"})
            } else {
                json!({"type": "string", "minLength": 1})
            };
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        })
        .collect()
}

fn operation_id(entry: &RouteEntry) -> String {
    let path: String = entry
        .path
        .chars()
        .map(|character| {
            if character.is_ascii_alphanumeric() {
                character
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "{}{}",
        entry.method.as_str().to_ascii_lowercase(),
        path.trim_end_matches('_')
    )
}

fn access_text(access: Access) -> &'static str {
    match access {
        Access::Public => "public",
        Access::WriteMetrics => "a token with the `write` scope, or an operator",
        Access::Role(UserRole::Viewer) => "viewer",
        Access::Role(UserRole::Operator) => "operator",
        Access::Role(UserRole::Admin) => "admin",
    }
}

fn error_schema() -> Value {
    json!({"type": "object", "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
    }}}})
}
