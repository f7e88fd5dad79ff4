//! HTTP routes, one module per feature; each adds its routes, with their access, to the book.

pub mod alertmanager;
pub mod alerts;
pub mod analyzer;
pub mod audit;
pub mod auth;
pub mod automation_rules;
pub mod book;
pub mod console;
pub mod console_live;
pub mod console_logs;
pub mod contacts;
pub mod deploy;
pub mod devices;
pub mod files;
pub mod health;
pub mod healthcheck_targets;
pub mod ingest;
pub mod metrics;
pub mod notifications;
pub mod notifier_routes;
pub mod oidc;
pub mod openapi;
pub mod openapi_catalog;
pub mod openapi_catalog_config;
pub mod openapi_catalog_deploy;
pub mod reports;
pub mod rules;
pub mod secrets;
pub mod snapshots;
pub mod tasks;
pub mod tickets;
pub mod tokens;
pub mod users;

use book::RouteBook;

/// Every route of the application, in one book.
pub fn route_book(state: crate::AppState) -> RouteBook {
    let book = RouteBook::new(state.clone());
    let book = health::add_routes(book);
    let book = metrics::add_routes(book, state.config.current().auth.metrics_public);
    let book = auth::add_routes(book);
    let book = oidc::add_routes(book);
    let book = ingest::add_routes(book);
    let book = alertmanager::add_routes(book);
    let book = alerts::add_routes(book);
    let book = rules::add_routes(book);
    let book = contacts::add_routes(book);
    let book = notifications::add_routes(book);
    let book = notifier_routes::add_routes(book);
    let book = automation_rules::add_routes(book);
    let book = tasks::add_routes(book);
    let book = tickets::add_routes(book);
    let book = devices::add_routes(book);
    let book = deploy::add_routes(book);
    let book = snapshots::add_routes(book);
    let book = healthcheck_targets::add_routes(book);
    let book = analyzer::add_routes(book);
    let book = reports::add_routes(book);
    let book = files::add_routes(book);
    let book = users::add_routes(book);
    let book = tokens::add_routes(book);
    let book = secrets::add_routes(book);
    let book = openapi::add_routes(book);
    let book = console::add_routes(book);
    let book = console_live::add_routes(book);
    let book = console_logs::add_routes(book);
    audit::add_routes(book)
}
