//! `--runtime tokio|async-std|smol`: which executor runs a subcommand, and
//! the [`Runtime`] value the subcommand's endpoints use on it.
//!
//! Every runtime gets the same shape, so that `msrp bench` compares like with
//! like: the subcommand's own future on the calling thread, and two worker
//! threads for the tasks it spawns (connection drivers, the bench's senders
//! and receivers, outcome watchers).

use std::future::Future;
use std::sync::Arc;

use futures_channel::oneshot;
use msrp_async_std::AsyncIo;
use msrp_endpoint::Runtime;

use crate::error::CliError;

/// Worker threads for spawned tasks, on every runtime. Two: the two ends'
/// connection drivers and application tasks (hashing, the bench's senders
/// and receivers, TLS encryption on one side and decryption on the other)
/// then run in parallel. `msrp bench` (1 GiB,
/// 64 KiB chunks, 2-vCPU machine, three alternating runs each) measured MSRP
/// on tokio over TCP at 12.4–21.2 Gbit/s this way against 10.2–13.5 on a
/// current-thread runtime, MSRP over TLS at 9.7–12.9 against 7.2–8.0, and
/// raw TLS at 17.8–19.3 against 9.5–11.1. More workers than ends only add
/// wake-ups.
const WORKERS: usize = 2;

/// The value of `--runtime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum RuntimeArg {
    /// tokio, multi-thread; sockets from tokio, TLS from tokio-rustls.
    Tokio,
    /// async-std's executor; sockets from async-net, TLS from futures-rustls.
    AsyncStd,
    /// smol's executor; sockets from async-net, TLS from futures-rustls.
    Smol,
}

/// `--runtime`, for the subcommands that take it.
#[derive(Debug, Clone, Copy, clap::Args)]
pub(crate) struct RuntimeFlag {
    /// Async runtime to run on (the same code on each): its executor, its
    /// sockets and timers, and the TLS crate that goes with them.
    #[arg(long, value_name = "RUNTIME", value_enum, default_value = "tokio")]
    pub(crate) runtime: RuntimeArg,
}

/// A subcommand written once for every runtime: `run` is called with the
/// runtime that `--runtime` chose, inside that runtime's executor.
pub(crate) trait Job {
    /// The runtime asked for.
    fn runtime(&self) -> RuntimeArg;

    /// Runs the subcommand on `rt`.
    fn run<R: Runtime>(self, rt: R) -> impl Future<Output = Result<(), CliError>>;
}

/// Runs `future` as a task of `rt`; its output arrives through the
/// receiver, which gives `Canceled` if the task was dropped unfinished (the
/// runtime-neutral stand-in for a join handle).
pub(crate) fn spawn<R: Runtime, T: Send + 'static>(
    rt: &R,
    future: impl Future<Output = T> + Send + 'static,
) -> oneshot::Receiver<T> {
    let (tx, rx) = oneshot::channel();
    rt.spawn(Box::pin(async move {
        let _ = tx.send(future.await);
    }));
    rx
}

/// Runs `job` to the end on the executor its `--runtime` names.
pub(crate) fn block_on<J: Job>(job: J) -> Result<(), CliError> {
    match job.runtime() {
        RuntimeArg::Tokio => tokio_block_on(job.run(msrp_tokio::Tokio)),
        RuntimeArg::AsyncStd => {
            async_std_workers();
            async_std::task::block_on(job.run(AsyncIo::async_std()))
        }
        RuntimeArg::Smol => smol_block_on(job),
    }
}

/// Runs a future on a tokio multi-thread runtime with [`WORKERS`] workers
/// (`msrp demo` uses it directly: it stays on tokio).
pub(crate) fn tokio_block_on<F: Future<Output = Result<(), CliError>>>(
    future: F,
) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .map_err(|e| CliError::failed(format!("cannot start the runtime: {e}")))?;
    let result = runtime.block_on(future);
    // Tasks still running (a connection already closed by the peer, say)
    // must not hold up the exit.
    runtime.shutdown_background();
    result
}

/// Gives async-std's global executor [`WORKERS`] threads instead of one per
/// CPU. async-std starts that executor (async-global-executor) on first use
/// with its own settings; settings given before then win, and async-std's
/// `ASYNC_STD_THREAD_COUNT` still overrides them as it documents.
fn async_std_workers() {
    let name =
        std::env::var("ASYNC_STD_THREAD_NAME").unwrap_or_else(|_| "async-std/runtime".to_owned());
    async_global_executor::init_with_config(
        async_global_executor::GlobalExecutorConfig::default()
            .with_env_var("ASYNC_STD_THREAD_COUNT")
            .with_min_threads(WORKERS)
            .with_max_threads(WORKERS)
            .with_thread_name_fn(move || name.clone()),
    );
}

/// Runs `job` on smol: an executor run by [`WORKERS`] threads of its own
/// for spawned tasks, the job itself on this thread.
///
/// Not smol's global executor: it has one thread unless the environment
/// variable `SMOL_THREADS` says otherwise, and this crate cannot set that
/// (`std::env::set_var` is unsafe in edition 2024; unsafe code is
/// forbidden here).
fn smol_block_on<J: Job>(job: J) -> Result<(), CliError> {
    let executor = Arc::new(async_executor::Executor::<'static>::new());
    for n in 0..WORKERS {
        let executor = executor.clone();
        // The workers are never stopped: like tokio's `shutdown_background`,
        // tasks still running at the end must not hold up the exit, and the
        // process ends with this thread. `async_io::block_on` (what
        // `smol::block_on` is) lets an idle worker wait on the reactor itself.
        std::thread::Builder::new()
            .name(format!("smol-{n}"))
            .spawn(move || async_io::block_on(executor.run(std::future::pending::<()>())))
            .map_err(|e| CliError::failed(format!("cannot start the runtime: {e}")))?;
    }
    let rt = AsyncIo::with_spawner("smol", move |future| executor.spawn(future).detach());
    async_io::block_on(job.run(rt))
}
