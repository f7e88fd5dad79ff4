//! The bus contract suite: every case in `cases/` runs against the embedded backend (a SQLite
//! file in a temporary directory) and against Redis (127.0.0.1:6379, or
//! `DETECTVIZ_TEST_REDIS_URL`), each case on its own uniquely named streams.

mod cases;
mod support;

macro_rules! contract_suite {
    ($backend:ident, $kind:expr, [$($case:path => $name:ident),* $(,)?]) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $case($kind).await
                }
            )*
        }
    };
}

macro_rules! contract_suite_for {
    ($backend:ident, $kind:expr) => {
        contract_suite!($backend, $kind, [
            crate::cases::order_within_a_stream => order_within_a_stream,
            crate::cases::ack_removes_the_entry_from_pending => ack_removes_the_entry_from_pending,
            crate::cases::redelivery_after_a_handler_error => redelivery_after_a_handler_error,
            crate::cases::a_panicking_handler_is_retried_like_a_failing_one
                => a_panicking_handler_is_retried_like_a_failing_one,
            crate::cases::dead_letter_after_max_deliveries => dead_letter_after_max_deliveries,
            crate::cases::permanent_error_goes_to_dead_letters_at_once
                => permanent_error_goes_to_dead_letters_at_once,
            crate::cases::invalid_envelope_goes_to_dead_letters_and_the_consumer_carries_on
                => invalid_envelope_goes_to_dead_letters_and_the_consumer_carries_on,
            crate::cases::two_consumers_in_one_group_get_disjoint_entries
                => two_consumers_in_one_group_get_disjoint_entries,
            crate::cases::two_groups_each_get_every_entry => two_groups_each_get_every_entry,
            crate::cases::entries_and_groups_survive_reopening_the_bus
                => entries_and_groups_survive_reopening_the_bus,
            crate::cases::batch::a_batch_handler_gets_whole_reads_and_answers_per_entry
                => a_batch_handler_gets_whole_reads_and_answers_per_entry,
            crate::cases::crash::claim_after_a_consumer_task_dies => claim_after_a_consumer_task_dies,
            crate::cases::crash::claim_after_a_consumer_process_is_killed
                => claim_after_a_consumer_process_is_killed,
            crate::cases::inspection::retention_by_length => retention_by_length,
            crate::cases::inspection::retention_by_age => retention_by_age,
            crate::cases::inspection::replay_from_an_id => replay_from_an_id,
            crate::cases::inspection::replay_from_a_time => replay_from_a_time,
            crate::cases::inspection::info_streams_and_health_describe_the_bus
                => info_streams_and_health_describe_the_bus,
        ]);
    };
}

contract_suite_for!(embedded, crate::support::Kind::Embedded);
contract_suite_for!(redis, crate::support::Kind::Redis);

/// Not a test on its own: the child process of `claim_after_a_consumer_process_is_killed`,
/// which re-runs this binary with `--exact --ignored` and an assignment in the environment.
#[test]
#[ignore = "child process of the SIGKILL contract case"]
fn sigkill_child_consumer() {
    let Ok(assignment) = std::env::var(cases::crash::CHILD_ENVIRONMENT_VARIABLE) else {
        return;
    };
    let assignment = serde_json::from_str(&assignment).expect("a child assignment");
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(cases::crash::run_child(assignment));
}
