//! Alert rules: read the running set (viewer); create, replace and delete stored rules
//! (admin). A change is validated with the whole set before it is stored, then applied.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use axum::{Extension, Json};

use crate::auth::{Access, Principal, UserRole};
use crate::error::AppError;
use crate::routes::book::RouteBook;
use crate::rule_set::{load_rule_files, reload_rules};
use crate::state::AppState;

pub fn add_routes(book: RouteBook) -> RouteBook {
    let viewer = Access::Role(UserRole::Viewer);
    let admin = Access::Role(UserRole::Admin);
    book.add(Method::GET, "/api/rules", viewer, list_rules)
        .add(Method::POST, "/api/rules", admin, create_rule)
        .add(Method::GET, "/api/rules/{id}", viewer, get_rule)
        .add(Method::PUT, "/api/rules/{id}", admin, replace_rule)
        .add(Method::DELETE, "/api/rules/{id}", admin, delete_rule)
}

/// Every rule the engine runs, with where it comes from.
async fn list_rules(
    State(state): State<AppState>,
) -> Result<Json<Vec<serde_json::Value>>, AppError> {
    let stored: std::collections::BTreeSet<String> = state
        .store
        .alert_rules()
        .list()
        .await?
        .into_iter()
        .map(|record| record.id)
        .collect();
    let rules = state.alerts.rules();
    let views = rules
        .iter()
        .map(|rule| {
            let source = if stored.contains(&rule.id) {
                "api"
            } else {
                "file"
            };
            serde_json::json!({"source": source, "rule": rule})
        })
        .collect();
    Ok(Json(views))
}

async fn get_rule(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, AppError> {
    let rules = state.alerts.rules();
    let rule = rules
        .iter()
        .find(|rule| rule.id == id)
        .ok_or_else(|| AppError::not_found(format!("rule {id}")))?;
    Ok(Json(serde_json::to_value(rule).expect("a rule serialises")))
}

async fn create_rule(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: String,
) -> Result<impl IntoResponse, AppError> {
    let rule = parse_rule(&body)?;
    if state.store.alert_rules().get(&rule.id).await?.is_some() {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!("rule {} exists; use PUT", rule.id),
        ));
    }
    store_and_apply(&state, &principal, rule).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::from_str::<serde_json::Value>(&body).unwrap_or_default()),
    ))
}

async fn replace_rule(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: String,
) -> Result<StatusCode, AppError> {
    let rule = parse_rule(&body)?;
    if rule.id != id {
        return Err(AppError::bad_request(format!(
            "id: the body says {:?} but the URL says {id:?}",
            rule.id
        )));
    }
    store_and_apply(&state, &principal, rule).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_rule(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    state.store.alert_rules().delete(&id).await?;
    reload_rules(&state).await.map_err(AppError::internal)?;
    Ok(StatusCode::NO_CONTENT)
}

fn parse_rule(body: &str) -> Result<alert::Rule, AppError> {
    alert::parse_rule_json(body).map_err(|error| AppError::bad_request(error.to_string()))
}

/// Refuses ids that a rule file already uses, stores the rule, reloads the running set.
async fn store_and_apply(
    state: &AppState,
    principal: &Principal,
    rule: alert::Rule,
) -> Result<(), AppError> {
    let files = state.config.current().alert.rules_files.clone();
    let file_rules = load_rule_files(&files).map_err(AppError::internal)?;
    if file_rules.iter().any(|file_rule| file_rule.id == rule.id) {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!(
                "rule {} is defined in a rule file; change it there",
                rule.id
            ),
        ));
    }
    let record = store::NewAlertRule {
        id: rule.id.clone(),
        name: rule.name.clone(),
        enabled: true,
        definition: serde_json::to_value(&rule).expect("a rule serialises"),
        source: store::AlertRuleSource::Api,
        updated_by: principal.name.clone(),
    };
    state.store.alert_rules().upsert(&record).await?;
    reload_rules(state).await.map_err(AppError::internal)?;
    Ok(())
}
