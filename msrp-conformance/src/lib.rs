//! The adapter conformance suite: every scenario an MSRP runtime crate must
//! pass, written once against [`msrp_endpoint::Runtime`] and instantiated
//! per runtime with [`conformance_suite!`].
//!
//! A runtime crate provides a [`Harness`] — its [`Runtime`] value and a way
//! to run a future to completion on its executor — and one line:
//!
//! ```text
//! struct MultiThread;
//!
//! impl msrp_conformance::Harness for MultiThread {
//!     type Rt = msrp_tokio::Tokio;
//!     fn runtime() -> Self::Rt {
//!         msrp_tokio::Tokio
//!     }
//!     fn block_on<F: std::future::Future>(future: F) -> F::Output {
//!         tokio::runtime::Builder::new_multi_thread()
//!             .worker_threads(2)
//!             .enable_all()
//!             .build()
//!             .expect("a tokio runtime")
//!             .block_on(future)
//!     }
//! }
//!
//! msrp_conformance::conformance_suite!(MultiThread);
//! ```
//!
//! That expands to one `#[test]` per scenario of [`scenarios`]. Each
//! scenario is an `async fn name<R: Runtime>(rt: R)` with its assertions
//! inside. Scenarios only ever talk to 127.0.0.1, and every wait is bounded
//! by a deadline made from the runtime's own timers: a scenario waits *for
//! an event*, never for a fixed time, and a hang fails the test instead of
//! stalling it. A panic in a background task (a connection driver, an
//! accept loop) fails the scenarios running at the time, even when the
//! executor swallows it.

#![forbid(unsafe_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use msrp_endpoint::Runtime;

pub mod own_relay;
pub mod relay_env;
pub mod scenarios;
pub mod support;

/// How a runtime crate runs the suite: its runtime value and its executor.
pub trait Harness {
    /// The runtime under test.
    type Rt: Runtime;

    /// A runtime value for one scenario.
    fn runtime() -> Self::Rt;

    /// Runs `future` to completion on this runtime's executor (one fresh
    /// executor per scenario is fine, and isolates scenarios best).
    fn block_on<F: Future>(future: F) -> F::Output;
}

/// The longest a whole scenario may take before it counts as hung.
pub const SCENARIO_LIMIT: Duration = Duration::from_secs(120);

/// Runs one scenario on harness `H`: bounded by [`SCENARIO_LIMIT`], failing
/// if a background task panicked meanwhile, and printing its run time
/// (shown with `--nocapture`).
pub fn run<H: Harness, Fut: Future<Output = ()>>(name: &str, scenario: impl FnOnce(H::Rt) -> Fut) {
    watch_background_panics();
    let rt = H::runtime();
    let before = BACKGROUND_PANICS.load(Ordering::SeqCst);
    let started = rt.now();
    H::block_on(ScenarioThread(Box::pin(async {
        support::within(&rt, SCENARIO_LIMIT, name, scenario(rt.clone())).await;
    })));
    let elapsed = rt.now().saturating_duration_since(started);
    let harness = std::any::type_name::<H>();
    eprintln!("conformance: {name} on {harness}: {elapsed:.2?}");
    let after = BACKGROUND_PANICS.load(Ordering::SeqCst);
    assert_eq!(
        after,
        before,
        "a background task panicked while {name} ran on {} (its message is on stderr)",
        rt.name()
    );
}

/// Panics in threads and tasks other than a scenario's own future.
static BACKGROUND_PANICS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Set while a scenario's own future is being polled: its assertion
    /// failures are the test's, not a background task's.
    static IN_SCENARIO: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Counts panics outside scenario futures (connection drivers, accept
/// loops), which executors catch and a test would otherwise never see.
fn watch_background_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_SCENARIO.with(std::cell::Cell::get) {
                BACKGROUND_PANICS.fetch_add(1, Ordering::SeqCst);
            }
            previous(info);
        }));
    });
}

/// A scenario future that marks its thread while it is polled.
struct ScenarioThread<'a>(Pin<Box<dyn Future<Output = ()> + 'a>>);

impl Future for ScenarioThread<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        struct Reset(bool);
        impl Drop for Reset {
            fn drop(&mut self) {
                IN_SCENARIO.with(|flag| flag.set(self.0));
            }
        }
        let _reset = Reset(IN_SCENARIO.with(|flag| flag.replace(true)));
        self.0.as_mut().poll(cx)
    }
}

/// Expands to one `#[test]` per conformance scenario, run on the given
/// [`Harness`]. Invoke it once per harness, in a module of its own when a
/// test file instantiates several.
#[macro_export]
macro_rules! conformance_suite {
    ($harness:ty) => {
        $crate::__conformance_tests! {
            $harness;
            // connector ↔ acceptor
            direct_tcp_messages_both_ways,
            direct_tls_messages_both_ways,
            direct_tcp_64mib_file_arrives_intact,
            direct_tls_64mib_file_arrives_intact,
            direct_tcp_short_message_overtakes_large_one,
            direct_tls_short_message_overtakes_large_one,
            messages_queue_without_waiting_for_the_connection,
            // the runtime's own streams
            tls_stream_takes_a_whole_driver_write,
            // chat rooms (RFC 7701)
            nickname_set_and_refused,
            // connector ↔ MsrpServer
            server_tcp_messages_both_ways,
            server_tls_messages_both_ways,
            server_tcp_five_sessions_on_one_port,
            server_tls_five_sessions_on_one_port,
            server_sessions_share_one_connection,
            server_refuses_unknown_and_already_bound_uris,
            server_complete_times_out_when_session_never_binds,
            server_drops_connection_that_never_binds,
            // faults
            peer_closing_mid_chunk_aborts_incoming_and_fails_outgoing_once,
            peer_closing_mid_chunk_on_server,
            session_that_never_reads_pushes_back_on_writer,
            peer_that_never_reads_pushes_back_on_writer,
            plaintext_to_tls_port_fails_cleanly,
            tls_to_plaintext_port_fails_cleanly,
            tls_wrong_certificate_name_is_refused,
            slowloris_peer_dropped_by_acceptor_after_head_timeout,
            slowloris_peer_dropped_by_server_after_head_timeout,
            // hostile connections before the real peer
            acceptor_tcp_outlives_hostile_connections,
            acceptor_tls_outlives_hostile_connections,
            server_outlives_hostile_connections,
            acceptor_drops_oldest_unbound_connection_at_the_limit,
            server_drops_oldest_unbound_connection_at_the_limit,
            // through a real relay (Kamailio, started by scripts/test)
            relay_tcp_caller_behind_relay,
            relay_tls_caller_behind_relay,
            relay_tcp_answerer_behind_relay,
            relay_tls_answerer_behind_relay,
            relay_tcp_both_behind_relay,
            relay_tls_both_behind_relay,
            relay_auth_failures_and_423,
            relay_auth_renewed_during_transfer,
            relay_sessions_share_one_relay_connection,
            relay_lost_mid_transfer_fails_pending_messages_once,
            relay_found_by_dns_srv,
            // through a real relay reached over WebSocket (RFC 7977)
            relay_ws_caller_to_direct_acceptor,
            relay_wss_caller_to_direct_acceptor,
            relay_ws_caller_to_acceptor_behind_relay,
            relay_wss_caller_to_acceptor_behind_relay,
            relay_ws_auth_failures,
            // through our own relay (RelayServer), started in-process
            own_relay_tcp_caller_behind_relay,
            own_relay_tls_caller_behind_relay,
            own_relay_tcp_answerer_behind_relay,
            own_relay_tls_answerer_behind_relay,
            own_relay_tcp_both_behind_relay,
            own_relay_tls_both_behind_relay,
            own_relay_auth_failures_and_423,
            own_relay_auth_renewed_during_transfer,
            own_relay_64mib_single_chunk_in_bounded_memory,
            own_relay_silent_far_side_gets_408,
            own_relay_200_concurrent_sessions,
            own_relay_outlives_hostile_connections,
            // WebSocket clients (RFC 7977) through our own relay
            own_relay_ws_client_and_tcp_client,
            own_relay_wss_client_and_tls_client,
            own_relay_ws_clients_on_both_sides,
            own_relay_ws_oversize_message_closed_with_1009,
            own_relay_ws_refuses_other_subprotocols,
            // drop safety
            acceptor_cleanup_and_drop_release_the_port,
            server_cleanup_close_and_drop,
            dropping_connector_complete_mid_bind_closes_connection,
            dropping_server_complete_keeps_session_for_later,
            dropping_message_writer_aborts_only_that_message,
            dropping_receiving_session_fails_senders_message,
            dropping_everything_mid_transfer_is_quiet,
        }
    };
}

/// The test functions of [`conformance_suite!`]; not for direct use.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    ($harness:ty; $($(#[$attr:meta])* $name:ident),* $(,)?) => {
        $(
            #[test]
            $(#[$attr])*
            fn $name() {
                $crate::run::<$harness, _>(stringify!($name), $crate::scenarios::$name);
            }
        )*
    };
}
