//! `msrp parse`: an MSRP byte stream in, one JSON object per chunk out.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use msrp_proto::Path;
use msrp_proto::wire::{ChunkHead, Continuation, Event, Limits, ParseError, Parser, StartLine};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Parse an MSRP byte stream and print one JSON object per chunk.
///
/// Requests print `{"kind":"request","method":..,"transaction_id":..,"to_path":[..],
/// "from_path":[..],"message_id":..,"byte_range":{"start":N,"end":N|null,"total":N|null},
/// "success_report":..,"failure_report":..,"status":{"code":N,"comment":..},"content_type":..,
/// "headers":[[name,value],..],"body_len":N,"body_sha256":"<hex>","continuation":"$"|"+"|"#"}`;
/// a header that is absent is null, and a bodiless request (end-line right
/// after the headers) has null `body_len` and `body_sha256`. Responses print
/// `{"kind":"response","transaction_id":..,"code":N,"comment":..,"to_path":[..],
/// "from_path":[..],"headers":[..],"continuation":"$"}`.
///
/// On malformed input it prints `{"kind":"error","offset":N,"error":".."}`,
/// explains on stderr and exits with status 1. The output does not depend on
/// --read-size.
#[derive(Debug, Args)]
pub(crate) struct ParseArgs {
    /// File to read, or `-` for standard input (the default).
    #[arg(value_name = "FILE|-", default_value = "-")]
    input: PathBuf,

    /// Bytes handed to the parser per read (at least 1).
    #[arg(long, value_name = "N", default_value_t = 64 * 1024, value_parser = parse_read_size)]
    read_size: usize,
}

fn parse_read_size(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{s}` is not a whole number of bytes")),
    }
}

pub(crate) fn run(args: &ParseArgs) -> ExitCode {
    let input: Box<dyn Read> = if args.input.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        match File::open(&args.input) {
            Ok(file) => Box::new(file),
            Err(err) => {
                eprintln!("msrp parse: cannot open {}: {err}", args.input.display());
                return ExitCode::from(2);
            }
        }
    };
    let stdout = io::stdout().lock();
    match parse_stream(input, BufWriter::new(stdout), args.read_size) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Parse(err)) => {
            eprintln!(
                "msrp parse: malformed MSRP at byte {}: {}",
                err.offset(),
                err.kind()
            );
            ExitCode::from(1)
        }
        Err(Failure::Io(err)) if err.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Failure::Io(err)) => {
            eprintln!("msrp parse: {err}");
            ExitCode::from(2)
        }
    }
}

enum Failure {
    Parse(ParseError),
    Io(io::Error),
}

impl From<io::Error> for Failure {
    fn from(err: io::Error) -> Self {
        Self::Io(err)
    }
}

/// Reads `input` `read_size` bytes at a time and writes a JSON line per chunk.
fn parse_stream(
    mut input: impl Read,
    mut out: impl Write,
    read_size: usize,
) -> Result<(), Failure> {
    let mut parser = Parser::new(Limits::default());
    let mut buf = vec![0; read_size];
    let mut current: Option<Current> = None;
    loop {
        let n = match input.read(&mut buf) {
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err.into()),
        };
        let result = if n == 0 {
            parser.finish().map_err(Failure::Parse)
        } else {
            parser.feed(&buf[..n]);
            drain(&mut parser, &mut current, &mut out)
        };
        if let Err(Failure::Parse(err)) = &result {
            let line = ErrorLine {
                kind: "error",
                offset: err.offset(),
                error: err.kind().to_string(),
            };
            write_json(&mut out, &line)?;
        }
        if result.is_err() || n == 0 {
            out.flush()?;
            return result;
        }
    }
}

/// The chunk being read: its head, and a running hash of its body.
struct Current {
    head: ChunkHead,
    body_len: u64,
    sha256: Sha256,
}

/// Writes a line for every chunk the parser completes with the bytes it has.
fn drain(
    parser: &mut Parser,
    current: &mut Option<Current>,
    out: &mut impl Write,
) -> Result<(), Failure> {
    while let Some(event) = parser.next().map_err(Failure::Parse)? {
        match event {
            Event::Head(head) => {
                *current = Some(Current {
                    head,
                    body_len: 0,
                    sha256: Sha256::new(),
                });
            }
            Event::Body(data) => {
                if let Some(cur) = current.as_mut() {
                    cur.body_len += data.len() as u64;
                    cur.sha256.update(&data);
                }
            }
            Event::End(flag) => {
                if let Some(cur) = current.take() {
                    write_chunk(out, cur, flag)?;
                }
            }
        }
    }
    Ok(())
}

fn write_chunk(out: &mut impl Write, cur: Current, flag: Continuation) -> io::Result<()> {
    let head = &cur.head;
    let headers: Vec<[&str; 2]> = head.headers().map(|(n, v)| [n, v]).collect();
    let continuation = match flag {
        Continuation::Complete => "$",
        Continuation::More => "+",
        Continuation::Aborted => "#",
    };
    match head.start_line() {
        StartLine::Request { method } => {
            let has_body = head.has_body();
            let line = RequestLine {
                kind: "request",
                method: method.as_str(),
                transaction_id: head.transaction_id(),
                to_path: uris(head.to_path()),
                from_path: uris(head.from_path()),
                message_id: head.message_id(),
                byte_range: head.byte_range().map(|r| RangeJson {
                    start: r.start,
                    end: r.end,
                    total: r.total,
                }),
                success_report: head.success_report().map(|r| r.as_str()),
                failure_report: head.failure_report().map(|r| r.as_str()),
                status: head.status().map(|s| StatusJson {
                    code: s.code,
                    comment: s.comment.as_deref(),
                }),
                content_type: head.content_type(),
                headers,
                body_len: has_body.then_some(cur.body_len),
                body_sha256: has_body.then(|| hex::encode(cur.sha256.finalize())),
                continuation,
            };
            write_json(out, &line)
        }
        StartLine::Response { code, comment } => {
            let line = ResponseLine {
                kind: "response",
                transaction_id: head.transaction_id(),
                code,
                comment,
                to_path: uris(head.to_path()),
                from_path: uris(head.from_path()),
                headers,
                continuation,
            };
            write_json(out, &line)
        }
    }
}

fn uris(path: &Path) -> Vec<&str> {
    path.uris().iter().map(|u| u.as_str()).collect()
}

fn write_json(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

#[derive(Serialize)]
struct RequestLine<'a> {
    kind: &'static str,
    method: &'a str,
    transaction_id: &'a str,
    to_path: Vec<&'a str>,
    from_path: Vec<&'a str>,
    message_id: Option<&'a str>,
    byte_range: Option<RangeJson>,
    success_report: Option<&'static str>,
    failure_report: Option<&'static str>,
    status: Option<StatusJson<'a>>,
    content_type: Option<&'a str>,
    headers: Vec<[&'a str; 2]>,
    body_len: Option<u64>,
    body_sha256: Option<String>,
    continuation: &'static str,
}

#[derive(Serialize)]
struct ResponseLine<'a> {
    kind: &'static str,
    transaction_id: &'a str,
    code: u16,
    comment: Option<&'a str>,
    to_path: Vec<&'a str>,
    from_path: Vec<&'a str>,
    headers: Vec<[&'a str; 2]>,
    continuation: &'static str,
}

#[derive(Serialize)]
struct RangeJson {
    start: u64,
    end: Option<u64>,
    total: Option<u64>,
}

#[derive(Serialize)]
struct StatusJson<'a> {
    code: u16,
    comment: Option<&'a str>,
}

#[derive(Serialize)]
struct ErrorLine {
    kind: &'static str,
    offset: u64,
    error: String,
}
