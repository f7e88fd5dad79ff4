//! Renders console templates from `web/` with the viewer's language and time zone.
//!
//! Compiled templates and catalogues are kept between requests (`template_cache`) and
//! rebuilt when a file they came from changes, so template edits show on the next request.

use std::path::Path;

use minijinja::ErrorKind;
use minijinja::value::Serde;

use super::ConsoleError;
use super::template_cache::environment_for;

/// Who is looking, in which language and time zone.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub name: String,
    pub role: crate::auth::UserRole,
    pub csrf_token: String,
    pub language: String,
    pub time_zone: chrono_tz::Tz,
}

/// Renders `template` (a path under `web_dir`, e.g. `pages/home/page.html`) with `context`.
/// Templates get `t(key)` (message in the viewer's language), the `time` filter (unix ms →
/// local time), and `viewer` in the context.
pub fn render(
    web_dir: &Path,
    template: &str,
    viewer: &Viewer,
    context: serde_json::Value,
) -> Result<String, ConsoleError> {
    let environment = environment_for(web_dir, &viewer.language, viewer.time_zone)?;
    let mut context = context;
    if let Some(map) = context.as_object_mut() {
        map.insert(
            "viewer".into(),
            serde_json::json!({
                "name": viewer.name, "role": viewer.role.as_str(),
                "csrf_token": viewer.csrf_token, "language": viewer.language,
                "time_zone": viewer.time_zone.name(),
                "is_operator": viewer.role >= crate::auth::UserRole::Operator,
                "is_admin": viewer.role >= crate::auth::UserRole::Admin,
            }),
        );
    }
    let loaded = environment.get_template(template).map_err(|error| {
        let reason = if error.kind() == ErrorKind::TemplateNotFound {
            format!("not found under {}", web_dir.display())
        } else {
            describe(&error)
        };
        ConsoleError::Template {
            name: template.to_string(),
            reason,
        }
    })?;
    loaded
        .render(minijinja::Value::from(Serde(context)))
        .map_err(|error| ConsoleError::Template {
            name: template.to_string(),
            reason: describe(&error),
        })
}

/// The error with where it happened (template name and line).
fn describe(error: &minijinja::Error) -> String {
    match (error.name(), error.line()) {
        (Some(name), Some(line)) => format!("{name}:{line}: {error}"),
        _ => error.to_string(),
    }
}
