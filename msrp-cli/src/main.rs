//! `msrp`: talk to MSRP peers, parse MSRP traffic, benchmark and demo.
//!
//! `listen`, `send` and `chat` print a plain first line (this side's path)
//! and then JSON lines on stdout (one object per line) so that scripts can
//! consume them (`chat` shows a chat screen instead when a person is at the
//! terminal); errors go to stderr with a non-zero exit status (2 for bad
//! arguments, 1 for everything else). `listen`, `send`, `chat` and `bench`
//! are written once over `msrp_endpoint::Runtime` and run on the runtime
//! `--runtime` names (see `runtime.rs`); `demo` runs on tokio.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod args;
mod bench;
mod bench_relay;
mod bench_sessions;
mod certs;
mod chat;
mod demo;
mod desktop;
mod error;
mod file;
mod file_sdp;
mod file_source;
mod json;
mod listen;
mod parse;
mod progress;
mod receive;
mod relay;
mod relay_server;
mod runtime;
mod send;
mod writer;

/// MSRP (RFC 4975) from the command line.
///
/// Try `msrp demo`; for two processes, start `msrp listen --bind 127.0.0.1:0`
/// and pass the path it prints to `msrp send --to-path`; to chat, start
/// `msrp chat --listen 127.0.0.1:0` and pass its path to `msrp chat --to-path`.
#[derive(Debug, Parser)]
#[command(name = "msrp", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    // No doc comments here: each subcommand's help is its Args type's doc.
    Parse(parse::ParseArgs),
    Listen(listen::ListenArgs),
    Send(send::SendArgs),
    Bench(bench::BenchArgs),
    Demo(demo::DemoArgs),
    Desktop(desktop::DesktopArgs),
    Chat(chat::ChatArgs),
    File(file::FileArgs),
    Relay(relay_server::RelayArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `RUST_LOG=msrp::traffic=trace` shows every byte on the wire (stderr).
    // A relay is a server: it logs what it does at INFO unless told
    // otherwise.
    let relay = matches!(cli.command, Command::Relay(_));
    if std::env::var_os("RUST_LOG").is_some() || relay {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("msrp::relay=info"));
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
    let (name, result) = match cli.command {
        Command::Parse(args) => return parse::run(&args),
        Command::Listen(args) => ("listen", runtime::block_on(args)),
        Command::Send(args) => ("send", runtime::block_on(args)),
        Command::Bench(args) => ("bench", runtime::block_on(args)),
        Command::Demo(args) => ("demo", runtime::tokio_block_on(demo::run(args))),
        Command::Desktop(args) => ("desktop", desktop::run(args)),
        Command::Chat(mut args) => {
            // Before any thread starts: the only time it can be read.
            args.local_offset = chat::local_offset();
            ("chat", runtime::block_on(args))
        }
        Command::File(args) => ("file", args.run()),
        Command::Relay(args) => ("relay", runtime::block_on(args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => err.report(name),
    }
}
