//! `msrp demo`: two endpoints in one process chat and send a file.

use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Args;
use msrp_tokio::msrp_proto::wire::SuccessReport;
use msrp_tokio::{
    EndpointConfig, Incoming, Outcome, OutgoingMessage, Session, get_acceptor, get_connector,
};
use sha2::{Digest, Sha256};

use crate::bench::{human_bytes, pattern};
use crate::error::CliError;
use crate::progress;

/// Two endpoints in this process chat and send a 64 MiB file.
///
/// Alice calls, Bob answers, over loopback TCP; they chat both ways (each
/// line confirmed by a success REPORT), then Alice streams Bob a 64 MiB file
/// that both sides hash. Prints what happens and a last line starting with
/// `summary:` with the throughput and the SHA-256 check. Exit status 0 if
/// everything was delivered intact.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {}

/// The demo file's size.
const FILE_SIZE: u64 = 64 << 20;
/// Its pieces (the default chunk size).
const PIECE: usize = 64 * 1024;

const CHAT: &[(bool, &str)] = &[
    (true, "Hi Bob, it's Alice. Do you have a minute?"),
    (false, "Hi Alice! Sure, what's up?"),
    (true, "I'm sending you the recording from yesterday."),
    (false, "Great, go ahead."),
];

pub(crate) async fn run(_args: DemoArgs) -> Result<(), CliError> {
    let failed = |what: &str, e: msrp_tokio::Error| CliError::failed(format!("{what}: {e}"));
    let begin = Instant::now();

    // Bob answers: his path would go into the SDP answer.
    let mut acceptor = get_acceptor(EndpointConfig::default(), None);
    let bob_path = acceptor
        .prepare(None)
        .await
        .map_err(|e| failed("Bob cannot listen", e))?;
    // Alice calls: her path went into the SDP offer.
    let mut connector = get_connector(EndpointConfig::default(), None);
    let alice_path = connector
        .prepare(None)
        .await
        .map_err(|e| failed("Alice has no path", e))?;
    println!(
        "msrp demo: Alice calls Bob over MSRP (RFC 4975), both in this process, on loopback TCP"
    );
    println!("  Alice  {}", alice_path[0]);
    println!("  Bob    {}", bob_path[0]);
    let (alice, bob) = tokio::join!(
        connector.complete(&bob_path),
        acceptor.complete(&alice_path)
    );
    let mut alice = Session::new(alice.map_err(|e| failed("Alice cannot connect", e))?);
    let mut bob = Session::new(bob.map_err(|e| failed("Bob saw no session", e))?);
    println!("  session bound in {:.1} ms", ms(begin.elapsed()));
    println!();

    let mut chats = 0;
    for &(from_alice, text) in CHAT {
        let (sender, receiver, who) = if from_alice {
            (&alice, &mut bob, "Alice")
        } else {
            (&bob, &mut alice, "Bob  ")
        };
        let took = chat(sender, receiver, text).await?;
        println!(
            "  {who} > {text}   [delivered, REPORT in {:.2} ms]",
            ms(took)
        );
        chats += 1;
    }
    println!();

    let (seconds, hash) = file(&alice, &mut bob).await?;
    let rate = FILE_SIZE as f64 / seconds;
    println!(
        "  Alice sent Bob recording.bin: {} in {:.3} s = {:.2} GB/s ({:.1} Gbit/s)",
        human_bytes(FILE_SIZE),
        seconds,
        rate / 1e9,
        rate * 8.0 / 1e9
    );
    println!("  SHA-256 on both sides: {hash} (match)");
    println!();
    alice.shutdown().await;
    drop(bob);
    println!(
        "summary: {chats} chat messages and a {} file delivered in {:.2} s; file at {:.2} GB/s; sha256 match",
        human_bytes(FILE_SIZE),
        begin.elapsed().as_secs_f64(),
        rate / 1e9
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// One chat line with a success REPORT; the time until it was confirmed.
async fn chat(from: &Session, to: &mut Session, text: &str) -> Result<Duration, CliError> {
    let start = Instant::now();
    let message = OutgoingMessage::new("text/plain")
        .body(Bytes::copy_from_slice(text.as_bytes()))
        .success_report(SuccessReport::Yes);
    let handle = from
        .send_message(message)
        .await
        .map_err(|e| CliError::failed(format!("cannot send a chat line: {e}")))?;
    let mut body = Vec::new();
    loop {
        match to.next_incoming().await {
            Some(Incoming::Data { offset, data, .. }) => {
                let end = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .saturating_add(data.len());
                body.resize(body.len().max(end), 0);
                body[end - data.len()..end].copy_from_slice(&data);
            }
            Some(Incoming::Completed { .. }) => break,
            Some(Incoming::Started { .. }) => {}
            other => return Err(CliError::failed(format!("unexpected {other:?}"))),
        }
    }
    if body != text.as_bytes() {
        return Err(CliError::failed("a chat line arrived changed"));
    }
    match handle.outcome().await {
        Outcome::Delivered => Ok(start.elapsed()),
        other => Err(CliError::failed(format!(
            "a chat line was not delivered: {other:?}"
        ))),
    }
}

/// Streams the file from Alice to Bob; the seconds it took and the hash.
async fn file(alice: &Session, bob: &mut Session) -> Result<(f64, String), CliError> {
    let block = Bytes::from(pattern(PIECE));
    let bar = progress::bytes(FILE_SIZE, "file");
    let start = Instant::now();
    let message = OutgoingMessage::new("application/octet-stream")
        .size(FILE_SIZE)
        .header(
            "Content-Disposition",
            "attachment; filename=\"recording.bin\"",
        )
        .success_report(SuccessReport::Yes);
    let send = async {
        let mut writer = alice.begin_message(message).await?;
        let mut hash = Sha256::new();
        let mut left = FILE_SIZE;
        while left > 0 {
            let n = usize::try_from(left).map_or(PIECE, |l| l.min(PIECE));
            let piece = block.slice(..n);
            hash.update(&piece);
            writer.write(piece).await?;
            left -= n as u64;
        }
        let outcome = writer.finish().await?.outcome().await;
        Ok::<_, msrp_tokio::Error>((outcome, hex::encode(hash.finalize())))
    };
    let receive = async {
        let mut hash = Sha256::new();
        let mut next = 0;
        while let Some(item) = bob.next_incoming().await {
            match item {
                Incoming::Data { offset, data, .. } if offset == next => {
                    hash.update(&data);
                    next += data.len() as u64;
                    bar.set_position(next);
                }
                Incoming::Data { .. } => return Err("bytes arrived out of order".to_owned()),
                Incoming::Completed { size, .. } => {
                    return Ok((size, hex::encode(hash.finalize()), start.elapsed()));
                }
                Incoming::Aborted { .. } => return Err("the file was aborted".to_owned()),
                _ => {}
            }
        }
        Err("the session ended during the file".to_owned())
    };
    let (sent, received) = tokio::join!(send, receive);
    bar.finish_and_clear();
    let (outcome, sent_hash) =
        sent.map_err(|e| CliError::failed(format!("cannot send the file: {e}")))?;
    let (size, received_hash, took) = received.map_err(CliError::failed)?;
    if outcome != Outcome::Delivered || size != FILE_SIZE || sent_hash != received_hash {
        return Err(CliError::failed(format!(
            "the file did not arrive intact: {outcome:?}, {size} bytes, sha256 {sent_hash} sent, {received_hash} received"
        )));
    }
    Ok((took.as_secs_f64(), received_hash))
}
