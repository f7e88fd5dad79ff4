//! Alertmanager API v2 compatibility: `/api/v2/alerts` and `/api/v2/silences`, so Prometheus
//! and Grafana can use Detectviz as their Alertmanager.

use crate::routes::book::RouteBook;

pub fn add_routes(book: RouteBook) -> RouteBook {
    book
}
