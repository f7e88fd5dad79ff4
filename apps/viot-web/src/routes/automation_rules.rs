//! Automation rules: viewers list and read every rule (the config file's, `source = "config"`
//! and read-only, and those stored through the API, `source = "api"`); admins create, replace
//! and delete stored rules. Secrets show as `***`; a rule sent back with `***` keeps the stored
//! secret. A rule that does not pass [`automation::check_stored_rule`] is refused with 422 and
//! the field named (`{"error": {"code": "invalid_rule", "field", "message"}}`). Changes are
//! audited by the route guard like every change, with the rule's id, name and action as the
//! detail of a create or replace. The executor reads the stored rules for each
//! alert transition, so a change applies without a restart.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Value, json};

use crate::auth::middleware::AuditDetail;
use crate::auth::{Access, Principal, UserRole};
use crate::error::AppError;
use crate::routes::book::RouteBook;
use crate::state::AppState;

pub fn add_routes(book: RouteBook) -> RouteBook {
    let viewer = Access::Role(UserRole::Viewer);
    let admin = Access::Role(UserRole::Admin);
    book.add(Method::GET, "/api/automation/rules", viewer, list_rules)
        .add(Method::POST, "/api/automation/rules", admin, create_rule)
        .add(Method::GET, "/api/automation/rules/{id}", viewer, get_rule)
        .add(
            Method::PUT,
            "/api/automation/rules/{id}",
            admin,
            replace_rule,
        )
        .add(
            Method::DELETE,
            "/api/automation/rules/{id}",
            admin,
            delete_rule,
        )
}

/// Why a change is refused: a wrong rule (422, naming the field) or anything else.
enum Refusal {
    InvalidRule(automation::RuleProblem),
    Other(AppError),
}

impl From<AppError> for Refusal {
    fn from(error: AppError) -> Refusal {
        Refusal::Other(error)
    }
}

impl From<store::StoreError> for Refusal {
    fn from(error: store::StoreError) -> Refusal {
        Refusal::Other(AppError::from(error))
    }
}

impl From<automation::RuleProblem> for Refusal {
    fn from(problem: automation::RuleProblem) -> Refusal {
        Refusal::InvalidRule(problem)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let problem = match self {
            Refusal::Other(error) => return error.into_response(),
            Refusal::InvalidRule(problem) => problem,
        };
        let message = if problem.field.is_empty() {
            problem.reason.clone()
        } else {
            problem.to_string()
        };
        let error = AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_rule", message);
        let body = json!({"error": {
            "code": error.code, "message": error.message, "field": problem.field,
        }});
        let mut response = (error.status, Json(body)).into_response();
        response.extensions_mut().insert(error);
        response
    }
}

fn config_rules(state: &AppState) -> Vec<automation::AutomationRule> {
    state.config.current().automation.rules.clone()
}

fn config_view(rule: &automation::AutomationRule) -> Value {
    json!({"source": "config", "read_only": true, "rule": rule})
}

/// A stored rule as shown: parsed and serialised again, so its secrets are masked.
fn stored_view(record: &store::AutomationRuleRecord) -> Value {
    let mut view = json!({
        "source": "api", "read_only": false,
        "created_at_ms": record.created_at_ms, "updated_at_ms": record.updated_at_ms,
        "updated_by": record.updated_by,
    });
    match automation::parse_rule_document(&record.definition.to_string()) {
        Ok(rule) => view["rule"] = json!(rule),
        Err(problem) => {
            view["rule"] = Value::Null;
            view["problem"] = json!(problem.to_string());
        }
    }
    view
}

async fn list_rules(State(state): State<AppState>) -> Result<Json<Vec<Value>>, AppError> {
    let mut views: Vec<Value> = config_rules(&state).iter().map(config_view).collect();
    let stored = state.store.automation_rules().list().await?;
    views.extend(stored.iter().map(stored_view));
    Ok(Json(views))
}

async fn get_rule(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    if let Some(rule) = config_rules(&state).iter().find(|rule| rule.id == id) {
        return Ok(Json(config_view(rule)));
    }
    let record = state.store.automation_rules().get(&id).await?;
    let record = record.ok_or_else(|| AppError::not_found(format!("automation rule {id}")))?;
    Ok(Json(stored_view(&record)))
}

/// The audit record's detail of a change to `rule`.
fn audit_detail(rule: &automation::AutomationRule) -> Extension<AuditDetail> {
    Extension(AuditDetail(json!({
        "rule_id": rule.id, "rule_name": rule.name, "action": rule.action.name(),
    })))
}

async fn create_rule(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: String,
) -> Result<impl IntoResponse, Refusal> {
    let (rule, definition) = checked_rule(&state, &body, None)?;
    let record = state
        .store
        .automation_rules()
        .insert(&new_record(&rule, definition, &principal))
        .await?;
    Ok((
        StatusCode::CREATED,
        audit_detail(&rule),
        Json(stored_view(&record)),
    ))
}

async fn replace_rule(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: String,
) -> Result<impl IntoResponse, Refusal> {
    refuse_config_rule(&state, &id)?;
    let rules = state.store.automation_rules();
    let stored = rules
        .get(&id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("automation rule {id}")))?;
    let (rule, definition) = checked_rule(&state, &body, Some(&stored.definition))?;
    if rule.id != id {
        return Err(Refusal::InvalidRule(automation::RuleProblem::new(
            "id",
            format!("the body says {:?} but the URL says {id:?}", rule.id),
        )));
    }
    let record = rules
        .replace(&new_record(&rule, definition, &principal))
        .await?;
    Ok((audit_detail(&rule), Json(stored_view(&record))))
}

async fn delete_rule(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    refuse_config_rule(&state, &id)?;
    state.store.automation_rules().delete(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn refuse_config_rule(state: &AppState, id: &str) -> Result<(), AppError> {
    if config_rules(state).iter().any(|rule| rule.id == id) {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "read_only",
            format!("automation rule {id} is defined in the config file; change it there"),
        ));
    }
    Ok(())
}

/// Reads the body as a rule (masked secrets put back from `stored`), checks it, and refuses an
/// id a config rule uses; returns the rule and the JSON to store.
fn checked_rule(
    state: &AppState,
    body: &str,
    stored: Option<&Value>,
) -> Result<(automation::AutomationRule, Value), Refusal> {
    let mut document: Value = serde_json::from_str(body)
        .map_err(|error| AppError::bad_request(format!("the body is not JSON: {error}")))?;
    automation::restore_masked_secrets(&mut document, stored)?;
    let rule = automation::parse_rule_document(&document.to_string())?;
    if stored.is_none() {
        refuse_config_rule(state, &rule.id)?;
    }
    let config = state.config.current();
    let scripts_dir = config
        .automation
        .executor
        .stored_rules_scripts_dir
        .as_deref();
    automation::check_stored_rule(&rule, scripts_dir)?;
    Ok((rule, document))
}

fn new_record(
    rule: &automation::AutomationRule,
    definition: Value,
    principal: &Principal,
) -> store::NewAutomationRule {
    store::NewAutomationRule {
        id: rule.id.clone(),
        name: rule.name.clone(),
        definition,
        updated_by: principal.name.clone(),
    }
}
