//! `msrp`: talk to MSRP peers, parse MSRP traffic, benchmark and demo.
//!
//! Every subcommand prints JSON lines on stdout (one object per line) so that
//! scripts can consume it; errors go to stderr with a non-zero exit status.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod parse;

/// MSRP (RFC 4975) from the command line.
#[derive(Debug, Parser)]
#[command(name = "msrp", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Parse(parse::ParseArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Parse(args) => parse::run(&args),
    }
}
