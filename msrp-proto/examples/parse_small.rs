//! Parses the small SEND chunk of `benches/parse.rs` (`small_chunk`) a given
//! number of times, for instruction counts that do not depend on the noise
//! of a shared machine: run it under callgrind with two counts and divide
//! the difference of the totals by the difference of the chunks parsed, as
//! printed (set-up cancels out). `scripts/parse-instructions` does this.
//!
//! ```text
//! cargo build --release -p msrp-proto --example parse_small
//! valgrind --tool=callgrind target/release/examples/parse_small 1000
//! valgrind --tool=callgrind target/release/examples/parse_small 11000
//! ```
//!
//! A second argument `batch` feeds the chunks pipelined, 245 to a read, as
//! in `small_chunk/batch_of_245`. Whole reads only: 1000 and 11000 parse
//! 1225 and 11025 chunks, and dividing by 10000 instead of 9800 counts 2%
//! too few instructions per chunk.

use std::hint::black_box;

use msrp_proto::wire::{Event, Limits, Parser};

/// The chunk that `benches/parse.rs` encodes for `small_chunk`.
const CHUNK: &[u8] = b"MSRP a786hjs2 SEND\r\n\
To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n\
From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n\
Message-ID: 87652491\r\n\
Byte-Range: 1-38/38\r\n\
Content-Type: text/plain\r\n\
\r\n\
Hey Bob, are you there? Lunch at noon?\r\n\
-------a786hjs2$\r\n";

/// Feeds `bytes` and takes every event out, as `benches/parse.rs` does;
/// returns the chunks completed.
fn parse(parser: &mut Parser, bytes: &[u8]) -> usize {
    parser.feed(bytes);
    std::iter::from_fn(|| parser.next().expect("valid input"))
        .filter(|event| matches!(black_box(event), Event::End(_)))
        .count()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let batch = args.next().is_some_and(|a| a == "batch");
    let mut parser = Parser::new(Limits::default());
    let mut chunks = 0;
    if batch {
        let per_read = 64 * 1024 / CHUNK.len();
        let bytes = CHUNK.repeat(per_read);
        for _ in 0..count.div_ceil(per_read) {
            chunks += parse(&mut parser, black_box(&bytes));
        }
    } else {
        for _ in 0..count {
            chunks += parse(&mut parser, black_box(CHUNK));
        }
    }
    println!("{chunks} chunks of {} bytes", CHUNK.len());
}
