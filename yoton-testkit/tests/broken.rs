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

/// Every named case fails with `flaw` and passes on the real transport.
fn caught(flaw: Flaw, names: &[&str]) {
    for name in names {
        let case = case(name);
        assert!(
            passes(Arc::new(InprocUnderTest), case),
            "{name} fails on the real transport"
        );
        assert!(
            !passes(Arc::new(BrokenUnderTest::new(flaw)), case),
            "{name} does not catch {flaw:?}"
        );
    }
}

/// Every named case passes in spite of `flaw`: the double is the real
/// transport apart from its flaw.
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
            "close_is_seen_on_both_ends_with_its_reason",
            "close_by_the_bound_end_is_seen_by_the_connecting_end",
            "closed_is_emitted_exactly_once",
            "closed_handlers_run_with_the_connection",
            "context_close_closes_every_connection_and_stays_usable",
            "dropping_a_context_closes_its_connections",
            "flush_then_close_loses_nothing",
            "close_alone_delivers_everything_sent_before",
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
            "many_messages_arrive_in_order",
            "flush_then_close_loses_nothing",
            "both_directions_carry_messages_at_once",
            "many_concurrent_senders",
            "routing_in_a_line",
            "startup_queue_goes_to_the_first_connection_in_order",
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
fn a_transport_that_misreports_its_peer_fails_the_property_cases() {
    caught(
        Flaw::MisreportsPeer,
        &[
            "connecting_end_properties",
            "hosting_end_properties",
            "hostnames_and_ports_agree_across_the_link",
            "a_scripted_peer_is_seen_with_its_id_and_pid",
            "closed_end_properties",
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
fn a_link_that_duplicates_packages_fails_the_wire_case() {
    // The receiving context's de-duplication hides doubled packages from
    // channels; the peer on the wire sees them.
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
            "each_package_crosses_the_link_once",
            "many_messages_arrive_in_order",
        ],
    );
    unaffected(Flaw::ReordersPackages, &["hosting_end_properties"]);
}

#[test]
fn a_link_that_corrupts_packages_fails_the_content_cases() {
    caught(
        Flaw::CorruptsPackages,
        &[
            "each_package_crosses_the_link_once",
            "many_messages_arrive_in_order",
            "messages_of_many_sizes_arrive_intact",
        ],
    );
    unaffected(
        Flaw::CorruptsPackages,
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
fn a_context_that_ignores_dest_id_fails_the_dest_id_case() {
    caught(Flaw::IgnoresDestId, &["dest_id_is_respected"]);
    unaffected(
        Flaw::IgnoresDestId,
        &["many_messages_arrive_in_order", "routing_in_a_line"],
    );
}

#[test]
fn a_context_that_redelivers_its_own_packages_fails_the_triangle() {
    caught(
        Flaw::RedeliversOwnPackages,
        &["routing_in_a_triangle_without_duplicates_or_loops"],
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
