//! The suite catches a broken transport: each flaw of the test double makes
//! the cases that look at it fail, while the same cases pass on the real
//! in-process transport, and cases that do not look at the flaw still pass.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use yoton_testkit::broken::{BrokenUnderTest, Flaw};
use yoton_testkit::{CASE_DEADLINE, CASES, Case, InprocUnderTest, TransportUnderTest, run_case_on};

fn case(name: &str) -> Case {
    *CASES
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case named {name}"))
}

fn passes(under_test: Arc<dyn TransportUnderTest>, case: Case) -> bool {
    catch_unwind(AssertUnwindSafe(|| {
        run_case_on(case.name, under_test, case.run, CASE_DEADLINE);
    }))
    .is_ok()
}

/// Each case passes on the real transport and fails with `flaw`. The
/// cases run at once, each on a thread of its own: a failing case may
/// wait for its step deadline.
fn caught(flaw: Flaw, names: &[&str]) {
    let runs: Vec<_> = names
        .iter()
        .map(|&name| {
            let case = case(name);
            std::thread::spawn(move || {
                let real = passes(Arc::new(InprocUnderTest), case);
                let broken = passes(Arc::new(BrokenUnderTest::new(flaw)), case);
                (case.name, real, broken)
            })
        })
        .collect();
    for run in runs {
        let (name, real, broken) = run.join().expect("a case runner");
        assert!(real, "{name} fails on the real transport");
        assert!(!broken, "{name} does not catch {flaw:?}");
    }
}

/// Each case still passes with `flaw`, which it does not look at: the
/// flaw is only that.
fn unaffected(flaw: Flaw, names: &[&str]) {
    for name in names {
        assert!(
            passes(Arc::new(BrokenUnderTest::new(flaw)), case(name)),
            "{name} fails with {flaw:?}, which it does not look at"
        );
    }
}

#[test]
fn a_transport_that_drops_the_close_package_fails_the_close_cases() {
    caught(
        Flaw::DropsClosePackage,
        &[
            "a_closed_connection_stays_closed",
            "close_alone_delivers_everything_sent_before",
            "close_by_the_bound_end_is_seen_by_the_connecting_end",
            "close_is_seen_on_both_ends_with_its_reason",
            "closed_handlers_run_with_the_connection",
            "closed_is_emitted_exactly_once",
            "context_close_closes_every_connection_and_stays_usable",
            "dropping_a_context_closes_its_connections",
            "flush_then_close_loses_nothing",
        ],
    );
    unaffected(
        Flaw::DropsClosePackage,
        &[
            "close_on_problem_does_not_tell_the_other_end",
            "many_messages_arrive_in_order",
            "hosting_end_properties",
        ],
    );
}

#[test]
fn a_transport_that_loses_packages_fails_the_delivery_cases() {
    caught(
        Flaw::LosesPackages,
        &[
            "a_waiting_connection_keeps_what_is_sent_until_a_peer_comes",
            "both_directions_carry_messages_at_once",
            "close_alone_delivers_everything_sent_before",
            "context_flush_covers_every_connection",
            "each_package_crosses_the_link_once",
            "flush_then_close_loses_nothing",
            "many_concurrent_senders",
            "many_messages_arrive_in_order",
            "messages_of_many_sizes_arrive_intact",
            "packages_for_unregistered_slots_are_dropped_quietly",
            "routing_in_a_line",
            "routing_in_a_triangle_without_duplicates_or_loops",
            "startup_queue_goes_to_the_first_connection_in_order",
            "the_startup_queue_drops_the_oldest_beyond_its_bound",
        ],
    );
    unaffected(
        Flaw::LosesPackages,
        &[
            "close_is_seen_on_both_ends_with_its_reason",
            "timedout_true_when_the_peer_is_silent_then_false_when_it_speaks",
        ],
    );
}

#[test]
fn a_link_that_duplicates_packages_fails_the_wire_case() {
    caught(
        Flaw::DuplicatesPackages,
        &["each_package_crosses_the_link_once"],
    );
    unaffected(
        Flaw::DuplicatesPackages,
        &["many_messages_arrive_in_order", "routing_in_a_line"],
    );
}

#[test]
fn a_link_that_reorders_packages_fails_the_order_cases() {
    caught(
        Flaw::ReordersPackages,
        &[
            "a_waiting_connection_keeps_what_is_sent_until_a_peer_comes",
            "both_directions_carry_messages_at_once",
            "close_alone_delivers_everything_sent_before",
            "context_flush_covers_every_connection",
            "each_package_crosses_the_link_once",
            "flush_then_close_loses_nothing",
            "many_concurrent_senders",
            "many_messages_arrive_in_order",
            "messages_of_many_sizes_arrive_intact",
            "packages_for_unregistered_slots_are_dropped_quietly",
            "routing_in_a_line",
            "routing_in_a_triangle_without_duplicates_or_loops",
            "startup_queue_goes_to_the_first_connection_in_order",
            "the_startup_queue_drops_the_oldest_beyond_its_bound",
        ],
    );
    unaffected(Flaw::ReordersPackages, &["hosting_end_properties"]);
}

#[test]
fn a_link_that_corrupts_packages_fails_the_content_cases() {
    caught(
        Flaw::CorruptsPackages,
        &[
            "a_waiting_connection_keeps_what_is_sent_until_a_peer_comes",
            "both_directions_carry_messages_at_once",
            "close_alone_delivers_everything_sent_before",
            "context_flush_covers_every_connection",
            "each_package_crosses_the_link_once",
            "flush_then_close_loses_nothing",
            "many_concurrent_senders",
            "many_messages_arrive_in_order",
            "messages_of_many_sizes_arrive_intact",
            "routing_in_a_line",
            "routing_in_a_triangle_without_duplicates_or_loops",
            "startup_queue_goes_to_the_first_connection_in_order",
            "the_startup_queue_drops_the_oldest_beyond_its_bound",
        ],
    );
    unaffected(
        Flaw::CorruptsPackages,
        &["close_is_seen_on_both_ends_with_its_reason"],
    );
}

#[test]
fn a_link_that_truncates_large_packages_fails_the_size_cases() {
    caught(
        Flaw::TruncatesLargePackages,
        &[
            "large_messages_arrive_intact",
            "messages_of_many_sizes_arrive_intact",
        ],
    );
    unaffected(
        Flaw::TruncatesLargePackages,
        &["many_messages_arrive_in_order"],
    );
}

#[test]
fn a_link_that_alters_headers_fails_the_field_case() {
    caught(Flaw::AltersHeaders, &["package_fields_survive_the_link"]);
    unaffected(Flaw::AltersHeaders, &["many_messages_arrive_in_order"]);
}

#[test]
fn a_link_that_tells_on_a_problem_fails_the_close_on_problem_cases() {
    caught(
        Flaw::TellsOnProblem,
        &[
            "close_on_problem_does_not_tell_the_other_end",
            "close_on_problem_keeps_its_reason",
        ],
    );
    unaffected(
        Flaw::TellsOnProblem,
        &["close_is_seen_on_both_ends_with_its_reason"],
    );
}

#[test]
fn a_transport_without_heartbeats_fails_the_liveness_cases() {
    caught(
        Flaw::SendsNoHeartbeats,
        &[
            "a_connection_sends_heartbeats_to_a_silent_peer",
            "a_live_link_never_times_out",
        ],
    );
    unaffected(
        Flaw::SendsNoHeartbeats,
        &["many_messages_arrive_in_order", "dest_id_is_respected"],
    );
}

#[test]
fn a_transport_that_misreports_its_peer_fails_the_property_cases() {
    caught(
        Flaw::MisreportsPeer,
        &[
            "a_bound_connection_hosts_exactly_one_peer",
            "a_closed_connection_is_not_reached_again",
            "a_scripted_peer_is_seen_with_its_id_and_pid",
            "close_connection_from_the_peer_closes_its_link",
            "closed_end_properties",
            "connecting_end_properties",
            "connecting_to_self_is_refused_and_the_host_keeps_waiting",
            "hosting_end_properties",
            "hostnames_and_ports_agree_across_the_link",
            "timedout_true_when_the_peer_is_silent_then_false_when_it_speaks",
        ],
    );
    unaffected(
        Flaw::MisreportsPeer,
        &[
            "many_messages_arrive_in_order",
            "timeout_below_the_minimum_is_refused",
        ],
    );
}

#[test]
fn a_context_that_ignores_dest_id_fails_the_dest_id_case() {
    caught(Flaw::IgnoresDestId, &["dest_id_is_respected"]);
    unaffected(
        Flaw::IgnoresDestId,
        &["many_messages_arrive_in_order", "routing_in_a_line"],
    );
}

#[test]
fn a_context_that_takes_back_its_own_packages_fails_the_two_link_case() {
    caught(
        Flaw::RedeliversOwnPackages,
        &["a_context_never_takes_back_its_own_packages"],
    );
    unaffected(
        Flaw::RedeliversOwnPackages,
        &["many_messages_arrive_in_order"],
    );
}

#[test]
fn a_context_that_forgets_what_it_saw_fails_the_triangle() {
    caught(
        Flaw::ForgetsSeenPackages,
        &["routing_in_a_triangle_without_duplicates_or_loops"],
    );
    unaffected(
        Flaw::ForgetsSeenPackages,
        &["many_messages_arrive_in_order"],
    );
}

/// How many cases some flaw is shown to make fail: every name in the lists
/// above, which the tests above check. Kept here so that the figure in
/// docs/TESTING.md is the one the suite asserts.
#[test]
fn the_flaws_show_most_cases_able_to_fail() {
    let source = include_str!("broken.rs");
    let mut shown: Vec<&str> = CASES
        .iter()
        .map(|c| c.name)
        .filter(|name| source.contains(&format!("            \"{name}\",")))
        .collect();
    shown.sort_unstable();
    shown.dedup();
    println!(
        "{} of {} cases shown able to fail",
        shown.len(),
        CASES.len()
    );
    assert!(shown.len() >= 37, "only {} cases", shown.len());
}
