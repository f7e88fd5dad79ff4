//! The family conformance test every action plugin calls from its tests: the config names the
//! built action, neither prints a secret, and each `execute` is one independent attempt that
//! succeeds against a working peer and reports a classified error against a broken one.

use std::time::Duration;

use crate::action::{ActionConfig, ActionRequest};
use crate::sample::sample_transition;

/// A request for the sample transition with the given parameters.
pub(crate) fn sample_request(parameters: &[(&str, &str)]) -> ActionRequest {
    ActionRequest {
        run_id: "0197a8c0-0000-7000-8000-000000000001".to_string(),
        transition: sample_transition(),
        parameters: parameters
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect(),
        timeout: Duration::from_secs(10),
        live_output: None,
    }
}

/// Checks the family contract for one plugin.
///
/// `working` must succeed; `broken` must fail with an error whose retry classification is
/// `broken_is_retryable`. `secrets` must appear in neither config's nor action's `Debug`.
pub(crate) async fn assert_action_conforms(
    working: &ActionConfig,
    broken: &ActionConfig,
    broken_is_retryable: bool,
    secrets: &[&str],
) {
    let action = working.build().expect("the working config builds");
    assert_eq!(action.name(), working.name());
    for printed in [format!("{working:?}"), format!("{action:?}")] {
        for secret in secrets {
            assert!(!printed.contains(secret), "`{secret}` leaked in {printed}");
        }
    }
    let request = sample_request(&[("unit", "celsius")]);
    for attempt in 1..=2 {
        let output = action
            .execute(&request)
            .await
            .unwrap_or_else(|error| panic!("attempt {attempt} of {}: {error}", action.name()));
        assert!(output.stderr.len() <= 64 * 1024 + 32);
    }
    let broken_action = broken.build().expect("the broken config still builds");
    let error = broken_action
        .execute(&request)
        .await
        .expect_err("the broken action fails");
    assert_eq!(error.is_retryable(), broken_is_retryable, "{error}");
    let message = error.to_string();
    assert!(message.contains(broken.name()), "{message}");
    for secret in secrets {
        assert!(!message.contains(secret), "`{secret}` leaked in {message}");
    }
}
