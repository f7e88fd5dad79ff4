//! The route book: every route is added with its method, path and [`Access`], so none can
//! exist without an access decision, and the security tests enumerate the same list.

use std::collections::BTreeMap;

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};

use crate::auth::Access;
use crate::auth::middleware::authorize;
use crate::state::AppState;

#[derive(Debug, Clone, PartialEq)]
pub struct RouteEntry {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

pub struct RouteBook {
    state: AppState,
    by_path: BTreeMap<&'static str, MethodRouter<AppState>>,
    entries: Vec<RouteEntry>,
}

impl RouteBook {
    pub fn new(state: AppState) -> RouteBook {
        RouteBook {
            state,
            by_path: BTreeMap::new(),
            entries: Vec::new(),
        }
    }

    /// Adds `handler` for `method path`, guarded by `access`.
    pub fn add<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> RouteBook
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).expect("routes use standard methods");
        let guard = axum::middleware::from_fn_with_state(
            self.state.clone(),
            move |state, request, next| authorize(access, state, request, next),
        );
        let method_router = on(filter, handler).route_layer(guard);
        let merged = match self.by_path.remove(path) {
            Some(existing) => existing.merge(method_router),
            None => method_router,
        };
        self.by_path.insert(path, merged);
        self.entries.push(RouteEntry {
            method,
            path,
            access,
        });
        self
    }

    pub fn entries(&self) -> &[RouteEntry] {
        &self.entries
    }

    pub fn into_router(self) -> (Router<AppState>, Vec<RouteEntry>) {
        let router = self
            .by_path
            .into_iter()
            .fold(Router::new(), |router, (path, method_router)| {
                router.route(path, method_router)
            });
        (router, self.entries)
    }
}
