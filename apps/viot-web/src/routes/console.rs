//! The console's HTTP side: `/` and `/login`, full pages (`/pages/{name}`), fragments
//! (`/components/{name}`), the viewer's preferences, and static files. Live updates and the
//! remote-paginated table are in `console_live.rs`.

use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{Access, Credential, Principal, UserRole};
use crate::console::data::{self, AlertTableQuery};
use crate::console::i18n::parse_time_zone;
use crate::console::pages::{PageList, PageSpec};
use crate::console::render::{Viewer, render};
use crate::console::{ConsoleConfig, ConsoleError, LANGUAGES};
use crate::console::{devices, log_view, task_runner};
use crate::error::AppError;
use crate::routes::book::RouteBook;
use crate::state::AppState;

pub fn add_routes(book: RouteBook) -> RouteBook {
    let viewer = Access::Role(UserRole::Viewer);
    book.add(Method::GET, "/", Access::Public, root)
        .add(Method::GET, "/login", Access::Public, login_page)
        .add(Method::GET, "/static/{*path}", Access::Public, static_file)
        .add(Method::GET, "/pages/{name}", viewer, page)
        .add(Method::GET, "/components/{name}", viewer, component)
        .add(
            Method::POST,
            "/console/preferences",
            viewer,
            save_preferences,
        )
}

fn console_config(state: &AppState) -> ConsoleConfig {
    state.config.current().console.clone()
}

/// The signed-in caller with their language and time zone (stored, else the defaults).
pub async fn viewer_for(state: &AppState, principal: &Principal) -> Result<Viewer, AppError> {
    let config = console_config(state);
    let stored = match principal.user_id {
        Some(user_id) => state.store.user_preferences().get(user_id).await?,
        None => None,
    };
    let (language, time_zone) = match stored {
        Some(preferences) => (preferences.language, preferences.time_zone),
        None => (config.default_language, config.default_time_zone),
    };
    let csrf_token = match &principal.credential {
        Credential::Session { csrf_token, .. } => csrf_token.clone(),
        Credential::Token { .. } => String::new(),
    };
    Ok(Viewer {
        name: principal.name.clone(),
        role: principal.role.unwrap_or(UserRole::Viewer),
        csrf_token,
        language,
        time_zone: parse_time_zone(&time_zone).unwrap_or(chrono_tz::Tz::UTC),
    })
}

async fn root(principal: Option<Extension<Principal>>) -> Redirect {
    match principal {
        Some(_) => Redirect::to("/pages/home"),
        None => Redirect::to("/login"),
    }
}

#[derive(Debug, Deserialize)]
struct LoginPageQuery {
    #[serde(default)]
    lang: Option<String>,
    /// Why an OIDC sign-in was refused (a reason code from routes/oidc.rs).
    #[serde(default)]
    oidc_error: Option<String>,
}

async fn login_page(
    State(state): State<AppState>,
    Query(query): Query<LoginPageQuery>,
) -> Result<Html<String>, AppError> {
    let config = console_config(&state);
    let language = query
        .lang
        .filter(|language| LANGUAGES.contains(&language.as_str()))
        .unwrap_or(config.default_language.clone());
    let viewer = Viewer {
        name: String::new(),
        role: UserRole::Viewer,
        csrf_token: String::new(),
        language,
        time_zone: parse_time_zone(&config.default_time_zone)?,
    };
    let oidc = &state.config.current().auth.oidc;
    // Only a reason code (lowercase and underscores) is shown back, never other text.
    let refused = query.oidc_error.filter(|reason| {
        reason.len() <= 40
            && reason
                .bytes()
                .all(|byte| byte.is_ascii_lowercase() || byte == b'_')
    });
    let sign_in_with =
        json!({"enabled": oidc.enabled, "name": oidc.display_name, "refused": refused});
    let html = render(
        &config.web_dir,
        "templates/login.html",
        &viewer,
        json!({"oidc": sign_in_with}),
    )?;
    Ok(Html(html))
}

/// A full page: the AdminLTE shell around `web/pages/<name>/page.html`.
async fn page(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
    RawQuery(raw_query): RawQuery,
) -> Result<Html<String>, AppError> {
    let config = console_config(&state);
    let pages = PageList::load(&config.pages_file)?;
    let entry = pages
        .find(&name)
        .ok_or_else(|| ConsoleError::UnknownPage(name.clone()))?;
    let viewer = viewer_for(&state, &principal).await?;
    if viewer.role < entry.role {
        return Err(AppError::forbidden(format!(
            "page {name} needs the {} role",
            entry.role.as_str()
        )));
    }
    let spec = PageSpec::load(&config.web_dir, &name)?;
    // Alert filters belong to the alert pages; other pages read their own parameters.
    let filters: AlertTableQuery = match spec.data_source.as_str() {
        "summary" | "alerts" => parse_query(raw_query.as_deref())?,
        _ => AlertTableQuery::default(),
    };
    let page_data = match spec.data_source.as_str() {
        "summary" => json!({
            "counts": data::alert_counts(&state).await?,
            "latest": data::alerts(&state, &AlertTableQuery { limit: Some(10), ..Default::default() }).await?,
        }),
        "alerts" => json!({"alerts": data::alerts(&state, &filters).await?}),
        "tasks" => task_runner::page_data(&state).await?,
        "devices" => devices::page_data(&state, &parse_query(raw_query.as_deref())?).await?,
        "logs" => log_view::page_data(&state, &parse_query(raw_query.as_deref())?).await?,
        _ => json!({}),
    };
    let context = json!({
        "page": {"name": entry.name, "title": entry.title_in(&viewer.language), "icon": entry.icon},
        "sidebar": pages.sidebar(viewer.role, &viewer.language),
        "spec": spec,
        "data": page_data,
        "query": filters_json(&filters),
        "languages": LANGUAGES,
    });
    let template = format!("pages/{name}/page.html");
    Ok(Html(render(&config.web_dir, &template, &viewer, context)?))
}

fn filters_json(filters: &AlertTableQuery) -> serde_json::Value {
    json!({"state": filters.state, "severity": filters.severity, "search": filters.search})
}

/// Parses a query string into `T`, naming the bad parameter.
fn parse_query<T: serde::de::DeserializeOwned + Default>(raw: Option<&str>) -> Result<T, AppError> {
    let Some(raw) = raw.filter(|raw| !raw.is_empty()) else {
        return Ok(T::default());
    };
    axum::extract::Query::<T>::try_from_uri(
        &format!("/?{raw}")
            .parse()
            .map_err(|_| AppError::bad_request("the query string is not valid"))?,
    )
    .map(|Query(value)| value)
    .map_err(|rejection| AppError::bad_request(format!("query: {}", rejection.body_text())))
}

#[derive(Debug, Default, Deserialize)]
struct ComponentQuery {
    #[serde(default)]
    fingerprint: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    search: Option<String>,
    #[serde(default)]
    actor: Option<String>,
    /// A scan id (`scan-progress`) or device id (`device-detail`).
    #[serde(default)]
    id: Option<String>,
}

/// A fragment: `web/components/<name>.html` with the data it names.
async fn component(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
    RawQuery(raw_query): RawQuery,
) -> Result<Html<String>, AppError> {
    let query: ComponentQuery = parse_query(raw_query.as_deref())?;
    let filters = AlertTableQuery {
        state: query.state.clone(),
        severity: query.severity.clone(),
        search: query.search.clone(),
        limit: None,
    };
    let context = match name.as_str() {
        "alert-rows" => json!({"alerts": data::alerts(&state, &filters).await?}),
        "alert-counts" => json!({"counts": data::alert_counts(&state).await?}),
        "latest-alerts" => json!({
            "alerts": data::alerts(&state, &AlertTableQuery { limit: Some(10), ..Default::default() }).await?
        }),
        "alert-detail" => {
            let fingerprint = query
                .fingerprint
                .clone()
                .ok_or_else(|| AppError::bad_request("alert-detail needs ?fingerprint="))?;
            data::alert_detail(&state, &fingerprint).await?
        }
        "audit-rows" => json!({"entries": data::audit(&state, query.actor.clone(), 200).await?}),
        "log-rows" | "run-outputs" if principal.role < Some(UserRole::Operator) => {
            return Err(AppError::forbidden(format!(
                "{name} needs the operator role"
            )));
        }
        "log-rows" => json!({"entries": log_view::entries(&parse_query(raw_query.as_deref())?)?}),
        "run-outputs" => json!({"runs": log_view::run_outputs(&state).await?}),
        "device-grid" => json!({"grid": devices::grid(&state).await?}),
        "task-runs" => json!({"runs": task_runner::recent_runs(&state).await?}),
        "scan-rows" => json!({"scans": task_runner::recent_scans(&state).await?}),
        "scan-progress" => {
            let scan_id = query
                .id
                .clone()
                .ok_or_else(|| AppError::bad_request("scan-progress needs ?id="))?;
            json!({"scan": task_runner::scan(&state, &scan_id).await?})
        }
        _ => {
            return Err(AppError::not_found(format!(
                "no console component named {name:?}"
            )));
        }
    };
    let viewer = viewer_for(&state, &principal).await?;
    let config = console_config(&state);
    let template = format!("components/{name}.html");
    Ok(Html(render(&config.web_dir, &template, &viewer, context)?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PreferencesForm {
    language: String,
    time_zone: String,
}

/// Stores the viewer's language and time zone; htmx reloads the page.
async fn save_preferences(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Form(form): Form<PreferencesForm>,
) -> Result<Response, AppError> {
    if !LANGUAGES.contains(&form.language.as_str()) {
        return Err(AppError::bad_request(format!(
            "language: {:?} is not one of {LANGUAGES:?}",
            form.language
        )));
    }
    parse_time_zone(&form.time_zone)?;
    let user_id = principal.user_id.ok_or_else(|| {
        AppError::bad_request("preferences belong to console users; API tokens have none")
    })?;
    state
        .store
        .user_preferences()
        .put(user_id, &form.language, &form.time_zone)
        .await?;
    Ok((StatusCode::NO_CONTENT, [("hx-refresh", "true")]).into_response())
}

/// Files under `web/static` (the copied libraries and the console's own CSS and JS).
async fn static_file(
    State(state): State<AppState>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let safe = !path.is_empty()
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != ".." && !part.starts_with('.'));
    if !safe {
        return Err(AppError::not_found(format!("static file {path:?}")));
    }
    let file = console_config(&state).web_dir.join("static").join(&path);
    let bytes = tokio::fs::read(&file).await.map_err(|_| {
        AppError::not_found(format!(
            "static file {path} (run scripts/build-web-assets.sh for libs/)"
        ))
    })?;
    let etag = {
        use sha2::Digest;
        let hash = sha2::Sha256::digest(&bytes);
        let hex: String = hash[..8].iter().map(|byte| format!("{byte:02x}")).collect();
        format!("\"{hex}\"")
    };
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|value| value.as_bytes() == etag.as_bytes())
    {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    let content_type = content_type_of(&path);
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CACHE_CONTROL, "no-cache".to_string()),
            (header::ETAG, etag),
        ],
        bytes,
    )
        .into_response())
}

fn content_type_of(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "json" | "map" => "application/json",
        _ => "application/octet-stream",
    }
}
