//! `f32` distance kernels — inner product, squared Euclidean distance, cosine
//! distance — with runtime CPU dispatch.
//!
//! The first call of each function picks the best kernel the running CPU
//! supports (x86_64: AVX-512F, then AVX2+FMA, then portable code; aarch64:
//! NEON; anything else, e.g. wasm: portable code) and caches it in a static
//! function pointer. Every later call costs one relaxed atomic load and one
//! indirect call; the kernels themselves never branch on the instruction set.
//! [`selected_isa`] reports the choice.
//!
//! ```
//! let a = [1.0_f32, 2.0, 3.0];
//! let b = [4.0_f32, 5.0, 6.0];
//!
//! assert_eq!(vn_distance::dot(&a, &b), 32.0);
//! assert_eq!(vn_distance::l2_squared(&a, &b), 27.0);
//! // 1 - cos(a, b); 1.0 when either vector is zero.
//! let d = vn_distance::cosine_distance(&a, &b);
//! assert!((d - (1.0 - 32.0 / (14.0_f32.sqrt() * 77.0_f32.sqrt()))).abs() < 1e-6);
//! assert_eq!(vn_distance::cosine_distance(&a, &[0.0; 3]), 1.0);
//!
//! let mut v = [3.0_f32, 4.0];
//! assert!(vn_distance::normalize(&mut v));
//! assert!((vn_distance::norm_squared(&v) - 1.0).abs() < 1e-6);
//!
//! println!("kernels: {}", vn_distance::selected_isa()); // e.g. "avx2+fma"
//! ```
//!
//! # Accuracy
//!
//! Sums are accumulated in `f32` in many independent lanes (8 to 64 partial
//! sums, combined pairwise at the end), so the rounding error of a dot
//! product of dimension `d` is bounded by roughly `(d / 8 + 16) · 2⁻²⁴ ·
//! Σ|aᵢ·bᵢ|` and is usually far smaller. The test-suite checks every kernel
//! against the `f64` implementations in [`reference`](mod@reference) with that bound.
//! [`cosine_distance`] and [`normalize`] detect inputs whose squared norms
//! overflow or underflow `f32` and then recompute in `f64`, so they stay
//! accurate for any finite input. [`dot`], [`l2_squared`] and
//! [`norm_squared`] follow IEEE-754 `f32` semantics: a sum beyond `f32::MAX`
//! is `inf`, and NaN inputs give NaN.
//!
//! Results are deterministic for given inputs at given addresses, and
//! `f(a, b)` equals `f(b, a)` bit for bit. They are not bit-identical across
//! kernel sets, and on x86_64 the last bits can depend on where the inputs
//! start relative to a 32-/64-byte boundary (see below).
//!
//! # Performance
//!
//! The kernels are bound by L1 load bandwidth (`dot`, `l2_squared`) or FMA
//! throughput (cosine) for vectors of a few hundred elements and up. Vector
//! loads that straddle a 64-byte cache line cost two loads, so the x86_64
//! kernels first process a few elements with a masked load to align the main
//! loop's loads from one input. When both inputs start at the same offset
//! from a 64-byte boundary (e.g. 64-byte-aligned storage whose row size is a
//! multiple of 16 floats, and a 64-byte-aligned query), all loads are aligned,
//! which makes AVX-512 `dot` up to ~1.5× faster than with inputs at
//! different offsets.
//!
//! # Per-ISA kernels
//!
//! [`scalar`] (portable, always available), `x86_64::avx2`,
//! `x86_64::avx512` and `aarch64::neon` expose the individual kernels for
//! tests and benchmarks. The SIMD ones are reached through a token that can
//! only be constructed when the CPU supports the instruction set
//! (e.g. `x86_64::avx2::Avx2Fma::new()` returns `None` otherwise), or through
//! `unsafe fn …_unchecked` functions.
#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

#[allow(unused_macros)] // only the SIMD kernels use it
/// Runs `$body` with `$k` bound to each listed constant that is `< $count`,
/// fully unrolled: remainder handling that indexes accumulator arrays with
/// constants only, so they stay in registers.
macro_rules! unrolled_below {
    ($count:expr, [$($k:literal),* $(,)?], |$kv:ident| $body:expr) => {{
        let count: usize = $count;
        $(
            if $k < count {
                let $kv: usize = $k;
                $body;
            }
        )*
    }};
}

pub mod reference;
pub mod scalar;

#[cfg(target_arch = "x86_64")]
pub mod x86_64;

#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
pub mod aarch64;

// Runs the NEON kernels' source on other targets against a portable model of
// the handful of intrinsics they use, so their loop and tail logic is tested
// even where no aarch64 machine is at hand.
#[cfg(all(test, not(all(target_arch = "aarch64", target_feature = "neon"))))]
mod neon_emulation;

mod dispatch;

/// Inner product `Σ aᵢ·bᵢ`.
///
/// # Panics
///
/// Panics if `a.len() != b.len()`.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    dispatch::dot(a, b)
}

/// Squared Euclidean distance `Σ (aᵢ − bᵢ)²`.
///
/// # Panics
///
/// Panics if `a.len() != b.len()`.
#[inline]
pub fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
    dispatch::l2_squared(a, b)
}

/// Squared Euclidean distances from `v` to each of `out.len()` queries:
/// `out[i] = l2_squared(v, &queries[i * stride..i * stride + v.len()])`,
/// bit for bit whenever `v` starts on a 64-byte boundary (and always with the
/// portable kernels).
///
/// For scanning a table against a batch of queries: the SIMD kernels load
/// each block of `v` once and use it for several queries (four with
/// AVX-512, three with AVX2), so a row costs one read from memory per batch
/// instead of one per query.
///
/// # Panics
///
/// Panics if `stride < v.len()` or `queries` is shorter than
/// `(out.len() - 1) * stride + v.len()`.
#[inline]
pub fn l2_squared_to_many(v: &[f32], queries: &[f32], stride: usize, out: &mut [f32]) {
    dispatch::l2_squared_to_many(v, queries, stride, out)
}

/// Inner products of `v` with each of `out.len()` queries:
/// `out[i] = dot(v, &queries[i * stride..i * stride + v.len()])`, bit for bit
/// whenever `v` starts on a 64-byte boundary. See [`l2_squared_to_many`].
///
/// # Panics
///
/// As [`l2_squared_to_many`].
#[inline]
pub fn dot_to_many(v: &[f32], queries: &[f32], stride: usize, out: &mut [f32]) {
    dispatch::dot_to_many(v, queries, stride, out)
}

/// Squared Euclidean norm `Σ aᵢ²` (one load per element, so about twice as
/// fast as `dot(a, a)`).
#[inline]
pub fn norm_squared(a: &[f32]) -> f32 {
    dispatch::norm_squared(a)
}

/// Cosine distance `1 − a·b / (|a|·|b|)`, in `[0, 2]`; `1.0` when either vector
/// is zero (or empty).
///
/// `a·b`, `|a|²` and `|b|²` are computed in one pass over the inputs. When a
/// squared norm overflows or underflows `f32`, the result is recomputed in
/// `f64`, so it is accurate for any finite input. NaN in, NaN out.
///
/// # Panics
///
/// Panics if `a.len() != b.len()`.
#[inline]
pub fn cosine_distance(a: &[f32], b: &[f32]) -> f32 {
    let (ab, aa, bb) = dispatch::dot_and_norms(a, b);
    cosine_from_parts(ab, aa, bb, a, b)
}

/// Scales `a` in place to unit Euclidean length.
///
/// Returns `false`, leaving `a` unchanged, when `a` is zero (or empty) or
/// contains a non-finite value. Works for any finite input, including ones
/// whose squared norm overflows or underflows `f32`.
pub fn normalize(a: &mut [f32]) -> bool {
    let ns = norm_squared(a);
    if is_safe_square_sum(ns) {
        let scale = (1.0 / f64::from(ns).sqrt()) as f32;
        a.iter_mut().for_each(|x| *x *= scale);
        return true;
    }
    // Rare path: the f32 sum of squares overflowed, underflowed, is zero or NaN.
    // Squares of f32 values neither overflow nor underflow in f64.
    let ns = reference::norm_squared(a);
    if !(ns > 0.0 && ns.is_finite()) {
        return false;
    }
    // The scale may exceed f32::MAX for subnormal-sized vectors: apply it in f64.
    let scale = 1.0 / ns.sqrt();
    a.iter_mut().for_each(|x| *x = (f64::from(*x) * scale) as f32);
    true
}

/// Name of the kernel set the dispatcher uses on this CPU:
/// `"avx512f"`, `"avx2+fma"`, `"neon"` or `"scalar"`.
pub fn selected_isa() -> &'static str {
    dispatch::best_isa().name()
}

/// Smallest sum of squares for which the `f32` result is trusted: below it,
/// individual products may have been flushed to subnormals or zero, losing
/// relative accuracy (their absolute error, ≤ d·2⁻¹⁵⁰, is negligible against
/// 2⁻¹⁰⁰).
const MIN_SAFE_SQUARE_SUM: f32 = 7.888_609e-31; // 2^-100

#[inline]
fn is_safe_square_sum(s: f32) -> bool {
    // False for NaN as well.
    (MIN_SAFE_SQUARE_SUM..=f32::MAX).contains(&s)
}

/// Turns the one-pass sums `a·b`, `|a|²`, `|b|²` into a cosine distance,
/// falling back to the `f64` reference when the `f32` sums are not reliable.
#[inline]
pub(crate) fn cosine_from_parts(ab: f32, aa: f32, bb: f32, a: &[f32], b: &[f32]) -> f32 {
    if is_safe_square_sum(aa) && is_safe_square_sum(bb) && ab.is_finite() {
        // f64 so that aa·bb can neither overflow nor lose precision.
        let cos = f64::from(ab) / (f64::from(aa) * f64::from(bb)).sqrt();
        (1.0 - cos).clamp(0.0, 2.0) as f32
    } else {
        cosine_slow(a, b)
    }
}

#[cold]
#[inline(never)]
fn cosine_slow(a: &[f32], b: &[f32]) -> f32 {
    let d = reference::cosine_distance(a, b);
    if d.is_nan() {
        return f32::NAN;
    }
    d.clamp(0.0, 2.0) as f32
}

/// Panics (out of line) unless both inputs have the same length.
#[inline(always)]
#[track_caller]
pub(crate) fn check_len(a: usize, b: usize) {
    if a != b {
        len_mismatch(a, b)
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn len_mismatch(a: usize, b: usize) -> ! {
    panic!("vn_distance: vectors of different lengths ({a} and {b})")
}

/// Panics (out of line) unless `count` queries of `n` floats, `stride` apart,
/// fit in `len` floats.
#[inline(always)]
#[track_caller]
pub(crate) fn check_many(n: usize, len: usize, stride: usize, count: usize) {
    if count > 0
        && (stride < n || (count - 1).checked_mul(stride).and_then(|x| x.checked_add(n)).is_none_or(|end| end > len))
    {
        many_mismatch(n, len, stride, count)
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn many_mismatch(n: usize, len: usize, stride: usize, count: usize) -> ! {
    panic!("vn_distance: {count} queries of {n} floats, {stride} apart, do not fit in {len} floats")
}
