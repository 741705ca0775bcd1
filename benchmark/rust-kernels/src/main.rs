//! Throughput of the `vn-distance` kernels — dispatched and each instruction
//! set this CPU has — against the `simsimd` crate, in the same process.
//!
//! Run: `cargo run --release -p vn-kernels-bench` (prints a Markdown report).
//!
//! Method: for each operation and dimension, every implementation is called
//! through an opaque function pointer (`black_box`) on the same two
//! L1-resident vectors, placed at fixed offsets from 64-byte cache lines (two
//! layouts, since unaligned loads that split lines halve AVX-512 throughput),
//! `iters` times back to back (so this is throughput of
//! independent calls, call overhead included); `iters` is calibrated so that
//! one sample takes ~1 ms. Samples of all cases and implementations are
//! interleaved round-robin, 31 rounds, and the median (and minimum) per
//! implementation and case is reported; GFLOP/s, FLOP/cycle and ratios use
//! the median.
//! The core clock is measured with a chain of dependent 64-bit adds (1 cycle
//! each on every x86_64 core since the Pentium 4), which gives the clock the
//! core actually ran at, unlike the TSC or /proc/cpuinfo's nominal "cpu MHz".

use std::hint::black_box;
use std::time::Instant;

type BinFn = fn(&[f32], &[f32]) -> f32;

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Dot,
    L2sq,
    Cos,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Dot => "dot",
            Op::L2sq => "l2sq",
            Op::Cos => "cosine",
        }
    }

    /// FLOPs per element: dot = mul + add, l2sq = sub + mul + add,
    /// cosine = 3 × (mul + add).
    fn flops_per_element(self) -> f64 {
        match self {
            Op::Dot => 2.0,
            Op::L2sq => 3.0,
            Op::Cos => 6.0,
        }
    }

    /// Elements per cycle a kernel with `w`-float vectors can reach on a core
    /// with two `w`-wide loads and two `w`-wide FMAs per cycle: dot and l2sq
    /// need one load of `a` and one of `b` per `w` elements (load-bound: `w`
    /// per cycle); cosine needs three FMAs per `w` elements (FMA-bound:
    /// `2w/3` per cycle).
    fn elements_per_cycle_bound(self, w: f64) -> f64 {
        match self {
            Op::Dot | Op::L2sq => w,
            Op::Cos => 2.0 * w / 3.0,
        }
    }
}

struct Impl {
    name: String,
    /// f32 lanes per vector register of the kernel, if it is SIMD.
    width: Option<f64>,
    is_simsimd: bool,
    dot: BinFn,
    l2sq: BinFn,
    cos: BinFn,
}

impl Impl {
    fn get(&self, op: Op) -> BinFn {
        match op {
            Op::Dot => self.dot,
            Op::L2sq => self.l2sq,
            Op::Cos => self.cos,
        }
    }
}

fn implementations() -> Vec<Impl> {
    let selected_width = match vn_distance::selected_isa() {
        "avx512f" => Some(16.0),
        "avx2+fma" => Some(8.0),
        "neon" => Some(4.0),
        _ => None,
    };
    let mut v = vec![Impl {
        name: format!("ours: dispatched ({})", vn_distance::selected_isa()),
        width: selected_width,
        is_simsimd: false,
        dot: vn_distance::dot,
        l2sq: vn_distance::l2_squared,
        cos: vn_distance::cosine_distance,
    }];
    #[cfg(target_arch = "x86_64")]
    {
        use vn_distance::x86_64::{avx2, avx512};
        if avx512::Avx512F::new().is_some() {
            v.push(Impl {
                name: "ours: avx512f".into(),
                width: Some(16.0),
                is_simsimd: false,
                // SAFETY (these three closures): only registered after
                // `Avx512F::new()` confirmed AVX-512F on this CPU.
                dot: |a, b| unsafe { avx512::dot_unchecked(a, b) },
                l2sq: |a, b| unsafe { avx512::l2_squared_unchecked(a, b) },
                cos: |a, b| avx512::Avx512F::new().unwrap().cosine_distance(a, b),
            });
        }
        if avx2::Avx2Fma::new().is_some() {
            v.push(Impl {
                name: "ours: avx2+fma".into(),
                width: Some(8.0),
                is_simsimd: false,
                // SAFETY (these closures): only registered after
                // `Avx2Fma::new()` confirmed AVX2 and FMA on this CPU.
                dot: |a, b| unsafe { avx2::dot_unchecked(a, b) },
                l2sq: |a, b| unsafe { avx2::l2_squared_unchecked(a, b) },
                cos: |a, b| avx2::Avx2Fma::new().unwrap().cosine_distance(a, b),
            });
        }
    }
    v.push(Impl {
        name: "ours: scalar".into(),
        width: None,
        is_simsimd: false,
        dot: vn_distance::scalar::dot,
        l2sq: vn_distance::scalar::l2_squared,
        cos: vn_distance::scalar::cosine_distance,
    });
    v.push(Impl {
        name: "simsimd".into(),
        width: simsimd_width(),
        is_simsimd: true,
        dot: |a, b| <f32 as simsimd::SpatialSimilarity>::dot(a, b).unwrap() as f32,
        l2sq: |a, b| <f32 as simsimd::SpatialSimilarity>::l2sq(a, b).unwrap() as f32,
        cos: |a, b| <f32 as simsimd::SpatialSimilarity>::cos(a, b).unwrap() as f32,
    });
    v
}

/// simsimd's f32 kernels: "skylake" (AVX-512) or "haswell" (AVX2) on x86_64.
fn simsimd_width() -> Option<f64> {
    use simsimd::capabilities as c;
    if c::uses_skylake() {
        Some(16.0)
    } else if c::uses_haswell() {
        Some(8.0)
    } else if c::uses_neon() {
        Some(4.0)
    } else {
        None
    }
}

fn simsimd_caps() -> String {
    use simsimd::capabilities as c;
    let caps = [
        ("haswell", c::uses_haswell()),
        ("skylake", c::uses_skylake()),
        ("ice", c::uses_ice()),
        ("genoa", c::uses_genoa()),
        ("sapphire", c::uses_sapphire()),
        ("turin", c::uses_turin()),
        ("sierra", c::uses_sierra()),
        ("neon", c::uses_neon()),
        ("sve", c::uses_sve()),
    ];
    caps.iter().filter(|(_, on)| *on).map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}

/// `d` pseudo-random values in [-1, 1) in a buffer, starting at the returned
/// index, whose address is `offset` bytes past a 64-byte boundary.
fn vector_at(d: usize, seed: u64, offset: usize) -> (Vec<f32>, usize) {
    let values = vector(d, seed);
    let mut buf = vec![0.0_f32; d + 16];
    let base = buf.as_ptr() as usize;
    let start = (0..16).find(|k| (base + 4 * k) % 64 == offset).expect("4-byte aligned");
    buf[start..start + d].copy_from_slice(&values);
    (buf, start)
}

/// Deterministic pseudo-random values in [-1, 1) (xorshift), no extra crates.
fn vector(d: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..d)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// Nanoseconds per call of `iters` back-to-back calls.
#[inline(never)]
fn sample(f: BinFn, a: &[f32], b: &[f32], iters: u64) -> f64 {
    let f = black_box(f);
    let start = Instant::now();
    for _ in 0..iters {
        black_box(f(black_box(a), black_box(b)));
    }
    start.elapsed().as_nanos() as f64 / iters as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Core clock in Hz, from a chain of dependent adds (1 cycle latency each).
#[cfg(target_arch = "x86_64")]
fn measure_clock_hz() -> Option<f64> {
    let mut best_ns_per_add = f64::MAX;
    for _ in 0..7 {
        const ITERS: u64 = 1_000_000;
        const ADDS_PER_ITER: u64 = 100;
        let mut x: u64 = 0;
        let n: u64 = ITERS;
        let start = Instant::now();
        // SAFETY: register-only arithmetic on the two named registers; no
        // memory or stack access.
        unsafe {
            std::arch::asm!(
                "2:",
                ".rept 100",
                "add {x}, 1",
                ".endr",
                "dec {n}",
                "jnz 2b",
                x = inout(reg) x,
                n = inout(reg) n => _,
                options(nomem, nostack),
            );
        }
        let ns = start.elapsed().as_nanos() as f64;
        assert_eq!(black_box(x), ITERS * ADDS_PER_ITER);
        best_ns_per_add = best_ns_per_add.min(ns / (ITERS * ADDS_PER_ITER) as f64);
    }
    Some(1e9 / best_ns_per_add)
}

#[cfg(not(target_arch = "x86_64"))]
fn measure_clock_hz() -> Option<f64> {
    None
}

fn cpu_model() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |k: &str| {
        info.lines()
            .find(|l| l.split(':').next().map(str::trim) == Some(k))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_else(|| "?".into())
    };
    format!(
        "{} (family {}, model {}), /proc/cpuinfo \"cpu MHz\" {}",
        field("model name"),
        field("cpu family"),
        field("model"),
        field("cpu MHz")
    )
}

/// Where the two inputs start relative to 64-byte cache lines.
struct Layout {
    name: &'static str,
    offset_a: usize,
    offset_b: usize,
}

const LAYOUTS: [Layout; 2] = [
    Layout {
        name: "both inputs 64-byte aligned (or sharing one offset past a line, e.g. rows of one arena)",
        offset_a: 0,
        offset_b: 0,
    },
    Layout {
        name: "inputs at different offsets past a 64-byte line (a: +16 B, b: +48 B; e.g. a malloc'd query vs an arena row)",
        offset_a: 16,
        offset_b: 48,
    },
];

struct Row {
    op: Op,
    d: usize,
    name: String,
    width: Option<f64>,
    is_simsimd: bool,
    median_ns: f64,
    min_ns: f64,
    simsimd_ns: Option<f64>,
}

/// One (layout, op, d) combination with its input buffers.
struct Case {
    layout: usize,
    op: Op,
    d: usize,
    a: (Vec<f32>, usize),
    b: (Vec<f32>, usize),
}

impl Case {
    fn inputs(&self) -> (&[f32], &[f32]) {
        let ((ba, sa), (bb, sb)) = (&self.a, &self.b);
        (&ba[*sa..*sa + self.d], &bb[*sb..*sb + self.d])
    }
}

/// Runs every case and implementation. Samples are taken round-robin over
/// all cases and implementations, `ROUNDS` times, so that a burst of
/// interference from other processes (this is a shared 2-core VM) lands in
/// few of any one measurement's samples; the median then discards it.
fn run_all(impls: &[Impl]) -> Vec<Vec<Row>> {
    const DIMS: [usize; 3] = [128, 768, 1536];
    const OPS: [Op; 3] = [Op::Dot, Op::L2sq, Op::Cos];
    const ROUNDS: usize = 31;
    const SAMPLE_NS: f64 = 1e6;

    let mut cases = Vec::new();
    for (li, layout) in LAYOUTS.iter().enumerate() {
        for op in OPS {
            for d in DIMS {
                cases.push(Case {
                    layout: li,
                    op,
                    d,
                    a: vector_at(d, 1 + d as u64, layout.offset_a),
                    b: vector_at(d, 2 + d as u64, layout.offset_b),
                });
            }
        }
    }

    // Sanity check (all implementations agree) and per-pair calibration.
    let iters: Vec<Vec<u64>> = cases
        .iter()
        .map(|c| {
            let (a, b) = c.inputs();
            let r0 = f64::from((impls[0].get(c.op))(a, b));
            impls
                .iter()
                .map(|imp| {
                    let f = imp.get(c.op);
                    let r = f64::from(f(a, b));
                    assert!(
                        (r - r0).abs() <= 1e-4 * r0.abs().max(1.0),
                        "{} {} d={}: {r} vs {r0}",
                        imp.name,
                        c.op.name(),
                        c.d
                    );
                    sample(f, a, b, 10_000); // warm-up
                    let ns = sample(f, a, b, 50_000);
                    ((SAMPLE_NS / ns) as u64).max(1000)
                })
                .collect()
        })
        .collect();

    let mut samples = vec![vec![Vec::with_capacity(ROUNDS); impls.len()]; cases.len()];
    for _ in 0..ROUNDS {
        for (ci, c) in cases.iter().enumerate() {
            let (a, b) = c.inputs();
            for (k, imp) in impls.iter().enumerate() {
                samples[ci][k].push(sample(imp.get(c.op), a, b, iters[ci][k]));
            }
        }
    }

    let mut out: Vec<Vec<Row>> = LAYOUTS.iter().map(|_| Vec::new()).collect();
    for (c, per_impl) in cases.iter().zip(samples) {
        let stats: Vec<(f64, f64)> = per_impl
            .into_iter()
            .map(|v| {
                let min = v.iter().copied().fold(f64::INFINITY, f64::min);
                (median(v), min)
            })
            .collect();
        let simsimd_ns = impls.iter().zip(&stats).find(|(i, _)| i.is_simsimd).map(|(_, s)| s.0);
        for (imp, &(median_ns, min_ns)) in impls.iter().zip(&stats) {
            out[c.layout].push(Row {
                op: c.op,
                d: c.d,
                name: imp.name.clone(),
                width: imp.width,
                is_simsimd: imp.is_simsimd,
                median_ns,
                min_ns,
                simsimd_ns,
            });
        }
    }
    out
}

fn print_table(rows: &[Row], clock_hz: Option<f64>) {
    println!(
        "| op | d | implementation | ns/call (median) | ns/call (min) | GFLOP/s | FLOP/cycle | % of bound | t(ours) / t(simsimd) |"
    );
    println!("|---|---:|---|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let flops = r.op.flops_per_element() * r.d as f64;
        let gflops = flops / r.median_ns;
        let (fpc, pct) = match clock_hz {
            Some(hz) => {
                let fpc = flops / (r.median_ns * hz / 1e9);
                let pct = r.width.map(|w| {
                    let bound = r.op.elements_per_cycle_bound(w) * r.op.flops_per_element();
                    format!("{:.0}%", 100.0 * fpc / bound)
                });
                (format!("{fpc:.1}"), pct.unwrap_or_else(|| "—".into()))
            }
            None => ("—".into(), "—".into()),
        };
        let ratio = match r.simsimd_ns {
            Some(s) if !r.is_simsimd => format!("{:.2}", r.median_ns / s),
            _ => "—".into(),
        };
        println!(
            "| {} | {} | {} | {:.1} | {:.1} | {gflops:.1} | {fpc} | {pct} | {ratio} |",
            r.op.name(),
            r.d,
            r.name,
            r.median_ns,
            r.min_ns
        );
    }
}

fn main() {
    let impls = implementations();
    let clock_before = measure_clock_hz();

    println!("CPU: {}", cpu_model());
    println!("vn-distance selected ISA: {}", vn_distance::selected_isa());
    println!("simsimd capabilities: {}", simsimd_caps());

    let results = run_all(&impls);

    let clock_after = measure_clock_hz();
    let clock = match (clock_before, clock_after) {
        (Some(x), Some(y)) => {
            println!(
                "Core clock (dependent-add chain): {:.3} GHz before, {:.3} GHz after the runs; FLOP/cycle uses the mean.",
                x / 1e9,
                y / 1e9
            );
            Some((x + y) / 2.0)
        }
        _ => {
            println!("Core clock: not measured on this architecture; FLOP/cycle omitted.");
            None
        }
    };
    for (layout, rows) in LAYOUTS.iter().zip(&results) {
        println!();
        println!("### Layout: {}", layout.name);
        println!();
        print_table(rows, clock);
    }
    println!();
    println!(
        "FLOPs per element: dot 2, l2sq 3, cosine 6. Bound: two vector loads and two vector FMAs per cycle \
         (w = 8 floats for AVX2, 16 for AVX-512 on a core with full-width 512-bit datapaths): dot and l2sq are \
         load-bound at w elements/cycle (AVX2 dot: 16 FLOP/cycle, AVX-512 dot: 32), cosine is FMA-bound at 2w/3 \
         elements/cycle. Scalar rows have no bound."
    );
}
