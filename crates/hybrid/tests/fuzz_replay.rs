//! The fuzz targets' bodies (`vn_hybrid::fuzzing`, the same functions `fuzz/fuzz_targets/`
//! call) on their seed corpus and on deterministic random mutations of it: the short, stable
//! form of the fuzzing run in CI. The long, coverage-guided run is `cargo fuzz run`
//! (docs/benchmarks/fuzz.md).
//!
//! `FUZZ_REPLAY_SEED` picks another mutation seed, `FUZZ_REPLAY_RUNS` the mutations per target.

use vn_hybrid::fuzzing;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One to four of libFuzzer's simpler mutations: bit flip, random byte, interesting value,
/// erase, insert, truncate, copy a range within the input.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut b = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = b.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                b[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                b[i] = rng.next() as u8;
            }
            2 if len > 0 => {
                let v: [u8; 4] = [0x00, 0xff, 0x7f, 0x80];
                let i = rng.below(len);
                let n = (1 + rng.below(8)).min(len - i);
                let fill = v[rng.below(4)];
                b[i..i + n].fill(fill);
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = (1 + rng.below(16)).min(len - i);
                b.drain(i..i + n);
            }
            4 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(8);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                b.splice(i..i, bytes);
            }
            5 if len > 0 => b.truncate(rng.below(len)),
            _ if len > 1 => {
                let from = rng.below(len);
                let to = rng.below(len);
                let n = (1 + rng.below(32)).min(len - from).min(len - to);
                let chunk = b[from..from + n].to_vec();
                b[to..to + n].copy_from_slice(&chunk);
            }
            _ => b.push(rng.next() as u8),
        }
    }
    b
}

#[test]
fn seeds_and_mutations_through_every_fuzz_target() {
    let scratch = std::env::temp_dir().join(format!("vn-fuzz-replay-{}", std::process::id()));
    let seeds = fuzzing::seeds(&scratch).expect("seed corpus");
    let seed: u64 = std::env::var("FUZZ_REPLAY_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_f022);
    let runs: usize = std::env::var("FUZZ_REPLAY_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(5000);
    println!("fuzz replay: seed {seed}, {runs} mutations per target (FUZZ_REPLAY_SEED / FUZZ_REPLAY_RUNS)");
    for target in fuzzing::TARGETS {
        let corpus: Vec<&[u8]> = seeds.iter().filter(|s| s.0 == target).map(|s| &s.2[..]).collect();
        assert!(!corpus.is_empty(), "no seed for {target}");
        for input in &corpus {
            fuzzing::run(target, input);
        }
        let mut rng = Rng(seed ^ target.len() as u64 ^ 0x9e37_79b9_7f4a_7c15);
        let started = std::time::Instant::now();
        for i in 0..runs {
            let input = mutate(&mut rng, corpus[i % corpus.len()]);
            let result = std::panic::catch_unwind(|| fuzzing::run(target, &input));
            if result.is_err() {
                let path = std::env::temp_dir().join(format!("vn-fuzz-replay-crash-{target}-{seed}-{i}"));
                std::fs::write(&path, &input).expect("write the crashing input");
                panic!("{target}: mutation {i} of seed {seed} is a finding; input written to {}", path.display());
            }
        }
        println!("{target}: {} seeds, {runs} mutations in {:.1?}", corpus.len(), started.elapsed());
    }
}
