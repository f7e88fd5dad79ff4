//! The optional CEL filter of a rule's series selector, e.g.
//! `tags.host.startsWith("web-") && tags.site != "lab"`.
//!
//! The expression is compiled once, when the rule is parsed. It sees three variables:
//! `measurement` and `field` (strings) and `tags` (a map of strings). A series is selected
//! only when the expression evaluates to `true`; any other result, or an evaluation error
//! (such as a missing tag read with `tags.rack`), leaves the series out. Use
//! `has(tags.rack)` or `"rack" in tags` to test for a tag.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use cel::{Context, Program, Value};
use detectviz::SeriesKey;
use serde::{Deserialize, Serialize};

use crate::AlertError;

/// A compiled CEL expression with its source text.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CelFilter {
    source: String,
    program: Arc<Program>,
}

impl CelFilter {
    pub fn new(source: impl Into<String>) -> Result<CelFilter, AlertError> {
        let source = source.into();
        let program = Program::compile(&source).map_err(|error| AlertError::InvalidFilter {
            expression: source.clone(),
            reason: error.to_string(),
        })?;
        Ok(CelFilter {
            source,
            program: Arc::new(program),
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the series is selected: the expression evaluated to `true`.
    pub fn accepts(&self, series: &SeriesKey) -> bool {
        let tags: HashMap<String, String> = series
            .tags
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        let mut context = Context::default();
        context.add_variable_from_value("measurement", series.measurement.clone());
        context.add_variable_from_value("field", series.field.clone());
        context.add_variable_from_value("tags", tags);
        matches!(self.program.execute(&context), Ok(Value::Bool(true)))
    }
}

impl PartialEq for CelFilter {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl fmt::Debug for CelFilter {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_tuple("CelFilter")
            .field(&self.source)
            .finish()
    }
}

impl TryFrom<String> for CelFilter {
    type Error = AlertError;

    fn try_from(source: String) -> Result<Self, Self::Error> {
        CelFilter::new(source)
    }
}

impl From<CelFilter> for String {
    fn from(filter: CelFilter) -> String {
        filter.source
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(host: &str) -> SeriesKey {
        SeriesKey {
            measurement: "cpu".to_string(),
            tags: [("host", host), ("site", "tainan")].into_iter().collect(),
            field: "usage_user".to_string(),
        }
    }

    #[test]
    fn the_filter_sees_tags_measurement_and_field() {
        let filter = CelFilter::new(
            "tags.host.startsWith('web-') && tags.site == 'tainan' && measurement == 'cpu' && field == 'usage_user'",
        )
        .unwrap();
        assert!(filter.accepts(&series("web-1")));
        assert!(!filter.accepts(&series("db-1")));
    }

    #[test]
    fn errors_and_non_boolean_results_leave_the_series_out() {
        assert!(
            !CelFilter::new("tags.rack == 'r1'")
                .unwrap()
                .accepts(&series("web-1"))
        );
        assert!(
            !CelFilter::new("tags.host")
                .unwrap()
                .accepts(&series("web-1"))
        );
        let guarded = CelFilter::new("!has(tags.rack) || tags.rack == 'r1'").unwrap();
        assert!(guarded.accepts(&series("web-1")));
    }

    #[test]
    fn a_syntax_error_names_the_expression() {
        let error = CelFilter::new("tags.host ==").unwrap_err().to_string();
        assert!(error.contains("tags.host =="), "{error}");
    }
}
