//! NEON kernels: 4 lanes per register.
//!
//! `dot`, `l2_squared` and `norm_squared` consume 32 floats per iteration into
//! eight independent FMA accumulators; the one-pass cosine sums consume 16
//! floats per iteration into twelve. NEON has no masked loads, so the last
//! `len % 4` elements are summed with scalar code.
//!
//! NEON is enabled at compile time on every standard aarch64 target, so these
//! are safe functions. (On other targets the unit tests compile this same file
//! against a portable model of the intrinsics; see `neon_emulation.rs`.)

// The arithmetic intrinsics are safe to call where NEON is statically enabled
// on recent toolchains and `unsafe` on older ones (and in the emulation);
// the unsafe blocks below are written for the latter.
#![allow(unused_unsafe)]

use crate::check_len;

#[cfg(not(target_arch = "aarch64"))]
use super::shim::{float32x4_t, vaddq_f32, vaddvq_f32, vdupq_n_f32, vfmaq_f32, vld1q_f32, vsubq_f32};
#[cfg(target_arch = "aarch64")]
use core::arch::aarch64::{float32x4_t, vaddq_f32, vaddvq_f32, vdupq_n_f32, vfmaq_f32, vld1q_f32, vsubq_f32};

/// Always `true`: this module is only compiled where NEON is enabled.
#[inline]
pub fn is_available() -> bool {
    true
}

/// NEON kernel set (always available on aarch64), for symmetry with the
/// x86_64 tokens.
#[derive(Clone, Copy, Debug)]
pub struct Neon(());

impl Neon {
    /// Always `Some` (NEON is enabled at compile time).
    #[inline]
    pub fn new() -> Option<Self> {
        Some(Neon(()))
    }

    /// Inner product. Panics if the lengths differ.
    #[inline]
    pub fn dot(self, a: &[f32], b: &[f32]) -> f32 {
        dot(a, b)
    }

    /// Squared Euclidean distance. Panics if the lengths differ.
    #[inline]
    pub fn l2_squared(self, a: &[f32], b: &[f32]) -> f32 {
        l2_squared(a, b)
    }

    /// Squared Euclidean norm.
    #[inline]
    pub fn norm_squared(self, a: &[f32]) -> f32 {
        norm_squared(a)
    }

    /// `(a·b, |a|², |b|²)` in one pass. Panics if the lengths differ.
    #[inline]
    pub fn dot_and_norms(self, a: &[f32], b: &[f32]) -> (f32, f32, f32) {
        dot_and_norms(a, b)
    }

    /// Cosine distance, same semantics as [`crate::cosine_distance`].
    /// Panics if the lengths differ.
    #[inline]
    pub fn cosine_distance(self, a: &[f32], b: &[f32]) -> f32 {
        cosine_distance(a, b)
    }
}

const LANES: usize = 4;

/// Loads 4 floats from `p`.
///
/// # Safety
///
/// `p..p + 4` must be readable.
#[inline(always)]
unsafe fn load(p: *const f32) -> float32x4_t {
    // SAFETY: the caller guarantees 4 readable floats at `p`.
    unsafe { vld1q_f32(p) }
}

#[inline(always)]
fn zero() -> float32x4_t {
    // SAFETY: NEON is available (statically enabled); no memory access.
    unsafe { vdupq_n_f32(0.0) }
}

/// Sum of eight accumulators' lanes.
#[inline(always)]
fn reduce8(s: &[float32x4_t; 8]) -> f32 {
    // SAFETY: NEON is available (statically enabled); no memory access.
    unsafe {
        let a = vaddq_f32(vaddq_f32(s[0], s[1]), vaddq_f32(s[2], s[3]));
        let b = vaddq_f32(vaddq_f32(s[4], s[5]), vaddq_f32(s[6], s[7]));
        vaddvq_f32(vaddq_f32(a, b))
    }
}

/// Shared loop skeleton of `dot` and `l2_squared`: applies
/// `acc = step(acc, a[j..j+4], b[j..j+4])` over all full vectors using eight
/// accumulators, then `tail(acc, a[j], b[j])` to the last `len % 4` elements.
#[inline(always)]
fn binary_kernel(
    a: &[f32],
    b: &[f32],
    step: impl Fn(float32x4_t, float32x4_t, float32x4_t) -> float32x4_t,
    tail: impl Fn(f32, f32, f32) -> f32,
) -> f32 {
    check_len(a.len(), b.len());
    let n = a.len();
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut s = [zero(); 8];
    let mut i = 0;
    // SAFETY: all loads below are in bounds: both slices have n elements and every load at
    // offset j satisfies j + 4 <= n.
    unsafe {
        while i + 8 * LANES <= n {
            for (k, acc) in s.iter_mut().enumerate() {
                let j = i + k * LANES;
                *acc = step(*acc, load(pa.add(j)), load(pb.add(j)));
            }
            i += 8 * LANES;
        }
        // Up to 7 full vectors, each into its own accumulator.
        let full = (n - i) / LANES;
        unrolled_below!(full, [0, 1, 2, 3, 4, 5, 6], |k| {
            let j = i + k * LANES;
            s[k] = step(s[k], load(pa.add(j)), load(pb.add(j)))
        });
        i += full * LANES;
    }
    let mut t = 0.0_f32;
    for j in i..n {
        t = tail(t, a[j], b[j]);
    }
    reduce8(&s) + t
}

/// Inner product `Σ aᵢ·bᵢ`.
///
/// # Panics
///
/// Panics if `a.len() != b.len()`.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    binary_kernel(
        a,
        b,
        // SAFETY: NEON is available (statically enabled); no memory access.
        |acc, x, y| unsafe { vfmaq_f32(acc, x, y) },
        |t, x, y| t + x * y,
    )
}

/// Squared Euclidean distance `Σ (aᵢ − bᵢ)²`.
///
/// # Panics
///
/// Panics if `a.len() != b.len()`.
pub fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
    binary_kernel(
        a,
        b,
        // SAFETY: NEON is available (statically enabled); no memory access.
        |acc, x, y| unsafe {
            let d = vsubq_f32(x, y);
            vfmaq_f32(acc, d, d)
        },
        |t, x, y| {
            let d = x - y;
            t + d * d
        },
    )
}

/// Squared Euclidean norm `Σ aᵢ²`.
pub fn norm_squared(a: &[f32]) -> f32 {
    let n = a.len();
    let pa = a.as_ptr();
    let mut s = [zero(); 8];
    let mut i = 0;
    // SAFETY: all loads below are in bounds: the slice has n elements and every load at
    // offset j satisfies j + 4 <= n.
    unsafe {
        while i + 8 * LANES <= n {
            for (k, acc) in s.iter_mut().enumerate() {
                let x = load(pa.add(i + k * LANES));
                *acc = vfmaq_f32(*acc, x, x);
            }
            i += 8 * LANES;
        }
        let full = (n - i) / LANES;
        unrolled_below!(full, [0, 1, 2, 3, 4, 5, 6], |k| {
            let x = load(pa.add(i + k * LANES));
            s[k] = vfmaq_f32(s[k], x, x)
        });
        i += full * LANES;
    }
    let mut t = 0.0_f32;
    for &x in &a[i..] {
        t += x * x;
    }
    reduce8(&s) + t
}

/// `(a·b, |a|², |b|²)` in one pass (for the cosine distance).
///
/// # Panics
///
/// Panics if `a.len() != b.len()`.
pub fn dot_and_norms(a: &[f32], b: &[f32]) -> (f32, f32, f32) {
    check_len(a.len(), b.len());
    let n = a.len();
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    // Four sets of (a·b, a·a, b·b) accumulators.
    let mut ab = [zero(); 4];
    let mut aa = [zero(); 4];
    let mut bb = [zero(); 4];
    let mut i = 0;
    // SAFETY: all loads below are in bounds: both slices have n elements and every load at
    // offset j satisfies j + 4 <= n.
    unsafe {
        while i + 4 * LANES <= n {
            for k in 0..4 {
                let x = load(pa.add(i + k * LANES));
                let y = load(pb.add(i + k * LANES));
                ab[k] = vfmaq_f32(ab[k], x, y);
                aa[k] = vfmaq_f32(aa[k], x, x);
                bb[k] = vfmaq_f32(bb[k], y, y);
            }
            i += 4 * LANES;
        }
        // Up to 3 full vectors, each into its own accumulator set.
        let full = (n - i) / LANES;
        unrolled_below!(full, [0, 1, 2], |k| {
            let x = load(pa.add(i + k * LANES));
            let y = load(pb.add(i + k * LANES));
            ab[k] = vfmaq_f32(ab[k], x, y);
            aa[k] = vfmaq_f32(aa[k], x, x);
            bb[k] = vfmaq_f32(bb[k], y, y)
        });
        i += full * LANES;
    }
    let (mut tab, mut taa, mut tbb) = (0.0_f32, 0.0_f32, 0.0_f32);
    for j in i..n {
        let (x, y) = (a[j], b[j]);
        tab += x * y;
        taa += x * x;
        tbb += y * y;
    }
    // SAFETY: NEON is available (statically enabled); no memory access.
    let reduce4 = |s: [float32x4_t; 4]| unsafe { vaddvq_f32(vaddq_f32(vaddq_f32(s[0], s[1]), vaddq_f32(s[2], s[3]))) };
    (reduce4(ab) + tab, reduce4(aa) + taa, reduce4(bb) + tbb)
}

/// Cosine distance, same semantics as [`crate::cosine_distance`].
///
/// # Panics
///
/// Panics if `a.len() != b.len()`.
pub fn cosine_distance(a: &[f32], b: &[f32]) -> f32 {
    let (ab, aa, bb) = dot_and_norms(a, b);
    crate::cosine_from_parts(ab, aa, bb, a, b)
}
