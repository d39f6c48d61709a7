//! Replays the `cpim` fuzz corpus on stable: every file under
//! `fuzz/corpus/cpim/` goes through `msrp_chat::fuzzing::cpim`, so
//! `cargo test` checks what the fuzzer found without nightly or libFuzzer.
//! Seeded pseudo-random mutants of the corpus follow, so the oracle also
//! runs on inputs near the golden vectors.

use std::fs;
use std::path::PathBuf;

use msrp_chat::fuzzing;

/// The corpus files, sorted.
fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/cpim");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("fuzz/corpus/cpim exists")
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

#[test]
fn cpim_corpus() {
    let corpus = corpus();
    assert!(!corpus.is_empty());
    for (name, data) in &corpus {
        // Shown only when the oracle panics: which file to reproduce with.
        eprintln!("cpim: {name}");
        fuzzing::cpim(data);
    }
}

/// Pieces of the grammars, spliced in by the mutator.
const TOKENS: &[&[u8]] = &[
    b"\r\n",
    b"\n",
    b"\r\n\r\n",
    b": ",
    b":;",
    b"=",
    b"\"",
    b"\\",
    b"\\u00e9",
    b"<",
    b">",
    b".",
    b",",
    b" ",
    b"\t",
    b"NS: p <urn:x>\r\n",
    b"Required: ",
    b"charset=utf8",
    b"&amp;",
    b"<![CDATA[",
    b"</",
];

/// A seeded xorshift generator: the same mutants on every run.
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
}

#[test]
fn cpim_mutants() {
    let seeds: Vec<_> = corpus().into_iter().map(|(_, data)| data).collect();
    let mut rng = Rng(0x5EED_C41A);
    for i in 0..20_000 {
        let mut data = seeds[i % seeds.len()].clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(data.len() + 1);
            match rng.below(4) {
                0 if at < data.len() => data[at] = rng.next() as u8,
                1 => data.insert(at, rng.next() as u8),
                2 if at < data.len() => drop(data.remove(at)),
                _ => {
                    let token = TOKENS[rng.below(TOKENS.len())];
                    data.splice(at..at, token.iter().copied());
                }
            }
        }
        fuzzing::cpim(&data);
    }
}
