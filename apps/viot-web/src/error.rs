//! One error type for every route: JSON for API calls, an HTML fragment for htmx calls.
//!
//! Handlers return `AppError`; it renders `{"error": {"code", "message"}}`. The
//! `render_errors` middleware re-renders it as a small HTML alert when the request carried
//! `HX-Request`, and gives the same shape to errors raised by layers (408 timeout, 413 body
//! too large) that never went through a handler.

use axum::Json;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub status: StatusCode,
    /// A stable machine-readable code such as `not_found`.
    pub code: &'static str,
    pub message: String,
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> AppError {
        AppError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn bad_request(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn unavailable(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    pub fn internal(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl From<store::StoreError> for AppError {
    fn from(error: store::StoreError) -> AppError {
        if error.is_unavailable() {
            return AppError::unavailable(format!("the database is unavailable: {error}"));
        }
        match error {
            store::StoreError::NotFound { .. } => AppError::not_found(error.to_string()),
            store::StoreError::Conflict { .. } => {
                AppError::new(StatusCode::CONFLICT, "conflict", error.to_string())
            }
            other => {
                tracing::error!(error = %other, "store error");
                AppError::internal("internal error; see the server log")
            }
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        let mut response = (self.status, Json(body)).into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// Gives every error response the project's shape, as HTML for htmx requests.
pub async fn render_errors(request: Request, next: Next) -> Response {
    let wants_html = request.headers().contains_key("hx-request");
    let browser_navigation = request.method() == axum::http::Method::GET
        && !wants_html
        && request
            .headers()
            .get(axum::http::header::ACCEPT)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
    let is_login = request.uri().path() == "/api/auth/login";
    let response = next.run(request).await;
    let status = response.status();
    // A console page opened without a session (or after it expired) goes to the login page.
    if status == StatusCode::UNAUTHORIZED && browser_navigation {
        return axum::response::Redirect::to("/login").into_response();
    }
    if status == StatusCode::UNAUTHORIZED && wants_html && !is_login {
        let mut redirect = StatusCode::UNAUTHORIZED.into_response();
        redirect.headers_mut().insert(
            "hx-redirect",
            axum::http::HeaderValue::from_static("/login"),
        );
        return redirect;
    }
    if !status.is_client_error() && !status.is_server_error() {
        return response;
    }
    let error = match response.extensions().get::<AppError>() {
        Some(error) => error.clone(),
        None => match status {
            StatusCode::PAYLOAD_TOO_LARGE => {
                AppError::new(status, "payload_too_large", "request body is too large")
            }
            StatusCode::REQUEST_TIMEOUT => {
                AppError::new(status, "timeout", "request took too long")
            }
            _ => return response,
        },
    };
    if !wants_html {
        return if response.extensions().get::<AppError>().is_some() {
            response
        } else {
            error.into_response()
        };
    }
    let fragment = format!(
        r#"<div class="alert alert-danger" role="alert" data-error-code="{}">{}</div>"#,
        error.code,
        escape_html(&error.message)
    );
    let mut html_response = (error.status, Html(fragment)).into_response();
    html_response.extensions_mut().insert(error);
    html_response
}

pub use detectviz::text::escape_html;

/// The fallback for unknown routes.
pub async fn route_not_found(request: Request) -> AppError {
    AppError::not_found(format!(
        "no route for {} {}",
        request.method(),
        request.uri().path()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_fragments_escape_the_message() {
        assert_eq!(
            escape_html(r#"<b>"x" & 'y'</b>"#),
            "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;"
        );
    }
}
