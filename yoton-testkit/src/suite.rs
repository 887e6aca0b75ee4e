//! The list of cases, written once: it makes both [`CASES`] and the
//! `#[test]` functions of [`conformance_suite!`](crate::conformance_suite).

use std::fmt;

use crate::TransportUnderTest;

/// One conformance case: its name and the function that runs it.
#[derive(Clone, Copy)]
pub struct Case {
    /// The case's name, as its test is named under each transport.
    pub name: &'static str,
    /// The case itself; it panics when the transport fails it.
    pub run: fn(&dyn TransportUnderTest),
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Case").field("name", &self.name).finish()
    }
}

/// Hands the names of all cases, in order, to [`__expand_cases!`] with the
/// given arguments.
#[doc(hidden)]
#[macro_export]
macro_rules! __with_case_names {
    ($($how:tt)*) => {
        $crate::__expand_cases! { [$($how)*]
            // The ends of a connection in every state.
            waiting_end_properties,
            connecting_end_properties,
            hosting_end_properties,
            hostnames_and_ports_agree_across_the_link,
            bound_address_stays_when_a_peer_arrives,
            a_scripted_peer_is_seen_with_its_id_and_pid,
            wait_connected_follows_the_peer_and_the_close,
            closed_end_properties,
            states_only_go_down_while_closing,
            binding_a_taken_address_fails,
            connecting_to_nobody_fails_after_its_timeout,
            connecting_to_self_is_refused_and_the_host_keeps_waiting,
            // Names.
            names_and_lookup_through_the_context,
            a_connecting_end_is_found_by_its_name,
            a_closed_connection_is_not_found_by_name,
            the_context_lists_connections_by_state,
            // Timeouts.
            timeout_defaults_to_half_a_second_on_every_end,
            timeout_below_the_minimum_is_refused,
            timedout_true_when_the_peer_is_silent_then_false_when_it_speaks,
            timedout_follows_every_silence_and_recovery,
            timedout_waits_for_a_longer_timeout,
            a_live_link_never_times_out,
            a_connection_sends_heartbeats_to_a_silent_peer,
            // Closing.
            close_is_seen_on_both_ends_with_its_reason,
            close_by_the_bound_end_is_seen_by_the_connecting_end,
            closed_is_emitted_exactly_once,
            concurrent_closes_emit_closed_once,
            closed_handlers_run_with_the_connection,
            close_on_problem_does_not_tell_the_other_end,
            close_on_problem_keeps_its_reason,
            closing_while_waiting_stops_waiting,
            close_on_problem_while_waiting,
            a_closed_waiting_address_binds_again,
            a_bound_connection_hosts_exactly_one_peer,
            a_closed_connection_stays_closed,
            a_closed_connection_is_not_reached_again,
            the_same_contexts_connect_again_after_closing,
            context_close_closes_every_connection_and_stays_usable,
            dropping_a_context_closes_its_connections,
            // Peers that misbehave.
            a_peer_that_dies_without_closing_is_reported,
            what_a_dying_peer_sent_before_is_delivered,
            a_peer_that_dies_mid_package_is_reported,
            a_close_package_closes_and_what_follows_is_ignored,
            empty_packages_from_a_peer_are_discarded,
            each_package_crosses_the_link_once,
            // Flush.
            flush_then_close_loses_nothing,
            a_bounded_send_gives_up_on_a_peer_that_does_not_read_and_sends_nothing,
            close_alone_delivers_everything_sent_before,
            flush_on_a_connected_end_returns,
            flush_while_waiting_with_something_queued_times_out,
            context_flush_covers_every_connection,
            // The context over the transport.
            startup_queue_goes_to_the_first_connection_in_order,
            a_waiting_connection_keeps_what_is_sent_until_a_peer_comes,
            new_connection_reaches_outgoing_endpoints,
            routing_in_a_line,
            routing_in_a_triangle_without_duplicates_or_loops,
            a_context_never_takes_back_its_own_packages,
            dest_id_is_respected,
            package_fields_survive_the_link,
            many_messages_arrive_in_order,
            both_directions_carry_messages_at_once,
            large_messages_arrive_intact,
            messages_of_many_sizes_arrive_intact,
            empty_messages_never_reach_an_endpoint,
            packages_for_unregistered_slots_are_dropped_quietly,
            many_concurrent_senders,
            one_context_hosts_many_peers,
            // Context messages, the startup queue's bound, panicking code.
            close_connection_from_the_peer_closes_its_link,
            close_connection_from_another_context_leaves_the_link_open,
            the_startup_queue_drops_the_oldest_beyond_its_bound,
            panicking_handlers_do_not_stop_the_transport,
            a_panicking_endpoint_does_not_stop_the_link,
        }
    };
}

/// Expands the case names either into the [`CASES`] table or into tests.
#[doc(hidden)]
#[macro_export]
macro_rules! __expand_cases {
    ([table] $($case:ident,)*) => {
        /// Every case of the suite, in order, by name.
        pub const CASES: &[$crate::Case] = &[
            $($crate::Case { name: stringify!($case), run: $crate::cases::$case },)*
        ];
    };
    ([tests $under_test:ty] $($case:ident,)*) => {
        $(
            #[test]
            fn $case() {
                $crate::run_case::<$under_test>(stringify!($case), $crate::cases::$case);
            }
        )*
    };
}

/// Instantiates every conformance case as a `#[test]` in a module named
/// `$module`, run on a fresh `$under_test` (a type implementing
/// [`TransportUnderTest`] and [`Default`]) with a deadline each.
///
/// One line per transport, in an integration test file:
///
/// ```no_run
/// yoton_testkit::conformance_suite!(inproc, yoton_testkit::InprocUnderTest);
/// ```
///
/// The tests are then named `inproc::routing_in_a_line` and so on, the same
/// names under every transport.
#[macro_export]
macro_rules! conformance_suite {
    ($module:ident, $under_test:ty) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;

            $crate::__with_case_names!(tests $under_test);
        }
    };
}

__with_case_names!(table);
