//! Replays the fuzz corpus on stable: every file under `fuzz/corpus/<target>/`
//! goes through the matching `msrp_proto::fuzzing` oracle, so `cargo test`
//! checks what the fuzzers found without nightly or libFuzzer. A few
//! thousand seeded pseudo-random inputs follow, so the oracles run even on
//! an empty corpus.

use std::fs;
use std::path::PathBuf;

use msrp_proto::fuzzing;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The files of a directory, sorted; none if it does not exist.
fn files(dir: PathBuf) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .map(|e| e.expect("readable corpus directory").path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.display().to_string(),
                fs::read(&p).expect("readable file"),
            )
        })
        .collect();
    files.sort();
    files
}

fn replay(target: &str, oracle: fn(&[u8])) -> usize {
    let corpus = files(root().join("fuzz/corpus").join(target));
    for (name, data) in &corpus {
        // Shown only when the oracle panics: which file to reproduce with.
        eprintln!("{target}: {name}");
        oracle(data);
    }
    corpus.len()
}

#[test]
fn parse_stream_corpus() {
    assert!(replay("parse_stream", fuzzing::parse_stream) > 0);
}

#[test]
fn uri_corpus() {
    assert!(replay("uri", fuzzing::uri) > 0);
}

#[test]
fn header_values_corpus() {
    assert!(replay("header_values", fuzzing::header_values) > 0);
}

#[test]
fn roundtrip_corpus() {
    assert!(replay("roundtrip", fuzzing::roundtrip) > 0);
}

#[test]
fn connection_ops_corpus() {
    assert!(replay("connection_ops", fuzzing::connection_ops) > 0);
}

/// A seeded xorshift generator: the same inputs on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// `seed` with a few random byte edits: replace, insert, delete, or
    /// splice in one of `tokens`.
    fn mutate(&mut self, seed: &[u8], tokens: &[&[u8]]) -> Vec<u8> {
        let mut data = seed.to_vec();
        for _ in 0..1 + self.below(4) {
            let at = self.below(data.len() + 1);
            match self.below(4) {
                0 if at < data.len() => data[at] = self.next() as u8,
                1 => data.insert(at, self.next() as u8),
                2 if at < data.len() => drop(data.remove(at)),
                _ => {
                    let token = tokens[self.below(tokens.len())];
                    data.splice(at..at, token.iter().copied());
                }
            }
        }
        data
    }
}

/// Pieces of the grammars, spliced in by [`Rng::mutate`].
const TOKENS: &[&[u8]] = &[
    b"\r\n",
    b"\r\n-------",
    b"$\r\n",
    b"MSRP abcd SEND\r\n",
    b": ",
    b";tcp",
    b"://",
    b"\"",
    b"%",
    b"[::1]",
    b"=",
    b";",
    b", ",
    b"*",
];

fn mutants(oracle: fn(&[u8]), seeds: &[Vec<u8>], count: usize, rng_seed: u64) {
    let mut rng = Rng(rng_seed);
    for i in 0..count {
        let data = rng.mutate(&seeds[i % seeds.len()], TOKENS);
        oracle(&data);
    }
}

fn corpus_or(target: &str, fallback: &[u8]) -> Vec<Vec<u8>> {
    let mut seeds: Vec<_> = files(root().join("fuzz/corpus").join(target))
        .into_iter()
        .map(|(_, data)| data)
        .collect();
    seeds.push(fallback.to_vec());
    seeds
}

#[test]
fn parse_stream_mutants() {
    // The corpus, and the golden vectors under more parameter prefixes.
    let mut seeds = corpus_or("parse_stream", &[0; 4]);
    for (_, vector) in files(root().join("tests/vectors")) {
        for params in [[0, 0, 3, 0], [2, 9, 77, 0], [3, 0, 200, 0], [5, 0, 1, 60]] {
            seeds.push([&params[..], &vector].concat());
        }
    }
    mutants(fuzzing::parse_stream, &seeds, 1_000, 0x5EED_0001);
}

#[test]
fn uri_mutants() {
    let seeds = corpus_or("uri", b"msrp://bob.example.com:8888/9di4eae923wzd;tcp");
    mutants(fuzzing::uri, &seeds, 20_000, 0x5EED_0002);
}

#[test]
fn header_values_mutants() {
    let seeds = corpus_or("header_values", b"text/plain; charset=\"UTF-8\"");
    mutants(fuzzing::header_values, &seeds, 20_000, 0x5EED_0003);
}

#[test]
fn roundtrip_random() {
    // Random bytes are as good as any: every input builds some chunk.
    let mut rng = Rng(0x5EED_0004);
    for _ in 0..3_000 {
        let data: Vec<u8> = (0..rng.below(300)).map(|_| rng.next() as u8).collect();
        fuzzing::roundtrip(&data);
    }
    let seeds = corpus_or("roundtrip", &[7, 0, 1, 2, 3, 4, 5, 6]);
    mutants(fuzzing::roundtrip, &seeds, 2_000, 0x5EED_0005);
}

#[test]
fn relay_ops_corpus() {
    assert!(replay("relay_ops", fuzzing::relay_ops) > 0);
}

#[test]
fn relay_ops_random() {
    // Random programs: every byte string is one.
    let mut rng = Rng(0x5EED_0006);
    let rounds = 300;
    for _ in 0..rounds {
        let data: Vec<u8> = (0..rng.below(2_000)).map(|_| rng.next() as u8).collect();
        fuzzing::relay_ops(&data);
    }
    // Programs of SENDs, answers and reads only (ops 1-5, 9), with small
    // bodies: the paths through streaming, interruption and reports.
    for _ in 0..rounds {
        let mut data = vec![rng.next() as u8; 4];
        for _ in 0..rng.below(60) {
            let op = [1u8, 2, 3, 4, 5, 9, 6, 7][rng.below(8)];
            data.push(op);
            for _ in 0..8 {
                data.push(rng.next() as u8);
            }
        }
        fuzzing::relay_ops(&data);
    }
}
