//! Portable kernels: the fallback on CPUs and targets without a SIMD kernel set.
//!
//! Each function keeps eight independent partial sums (one per position in a
//! chunk of eight elements), which breaks the add-latency chain and lets the
//! compiler turn the loop into SIMD code for whatever the target's baseline
//! offers (SSE2 on x86_64, simd128 on wasm when enabled) without reassociating
//! floating-point operations behind our back. Results are deterministic for a
//! given input on every target.

use crate::check_len;

const LANES: usize = 8;

#[inline(always)]
fn sum_lanes(v: [f32; LANES]) -> f32 {
    ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]))
}

/// Inner product `Σ aᵢ·bᵢ`.
///
/// # Panics
///
/// Panics if `a.len() != b.len()`.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    check_len(a.len(), b.len());
    let (ca, ta) = a.as_chunks::<LANES>();
    let (cb, tb) = b.as_chunks::<LANES>();
    let mut acc = [0.0_f32; LANES];
    for (x, y) in ca.iter().zip(cb) {
        for k in 0..LANES {
            acc[k] += x[k] * y[k];
        }
    }
    let mut tail = 0.0_f32;
    for (x, y) in ta.iter().zip(tb) {
        tail += x * y;
    }
    sum_lanes(acc) + tail
}

/// Squared Euclidean distance `Σ (aᵢ − bᵢ)²`.
///
/// # Panics
///
/// Panics if `a.len() != b.len()`.
pub fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
    check_len(a.len(), b.len());
    let (ca, ta) = a.as_chunks::<LANES>();
    let (cb, tb) = b.as_chunks::<LANES>();
    let mut acc = [0.0_f32; LANES];
    for (x, y) in ca.iter().zip(cb) {
        for k in 0..LANES {
            let d = x[k] - y[k];
            acc[k] += d * d;
        }
    }
    let mut tail = 0.0_f32;
    for (x, y) in ta.iter().zip(tb) {
        let d = x - y;
        tail += d * d;
    }
    sum_lanes(acc) + tail
}

/// Squared Euclidean norm `Σ aᵢ²`.
pub fn norm_squared(a: &[f32]) -> f32 {
    let (ca, ta) = a.as_chunks::<LANES>();
    let mut acc = [0.0_f32; LANES];
    for x in ca {
        for k in 0..LANES {
            acc[k] += x[k] * x[k];
        }
    }
    let mut tail = 0.0_f32;
    for x in ta {
        tail += x * x;
    }
    sum_lanes(acc) + tail
}

/// `(a·b, |a|², |b|²)` in one pass.
///
/// # Panics
///
/// Panics if `a.len() != b.len()`.
pub fn dot_and_norms(a: &[f32], b: &[f32]) -> (f32, f32, f32) {
    check_len(a.len(), b.len());
    let (ca, ta) = a.as_chunks::<LANES>();
    let (cb, tb) = b.as_chunks::<LANES>();
    let mut ab = [0.0_f32; LANES];
    let mut aa = [0.0_f32; LANES];
    let mut bb = [0.0_f32; LANES];
    for (x, y) in ca.iter().zip(cb) {
        for k in 0..LANES {
            ab[k] += x[k] * y[k];
            aa[k] += x[k] * x[k];
            bb[k] += y[k] * y[k];
        }
    }
    let (mut tab, mut taa, mut tbb) = (0.0_f32, 0.0_f32, 0.0_f32);
    for (x, y) in ta.iter().zip(tb) {
        tab += x * y;
        taa += x * x;
        tbb += y * y;
    }
    (sum_lanes(ab) + tab, sum_lanes(aa) + taa, sum_lanes(bb) + tbb)
}

/// Cosine distance `1 − a·b / (|a|·|b|)` in `[0, 2]`; `1.0` when either vector
/// is zero. Same semantics as [`crate::cosine_distance`].
///
/// # Panics
///
/// Panics if `a.len() != b.len()`.
pub fn cosine_distance(a: &[f32], b: &[f32]) -> f32 {
    let (ab, aa, bb) = dot_and_norms(a, b);
    crate::cosine_from_parts(ab, aa, bb, a, b)
}

/// `out[i] = l2_squared(v, queries[i·stride .. i·stride + v.len()])`.
///
/// # Panics
///
/// As [`crate::l2_squared_to_many`].
pub fn l2_squared_to_many(v: &[f32], queries: &[f32], stride: usize, out: &mut [f32]) {
    crate::check_many(v.len(), queries.len(), stride, out.len());
    for (i, o) in out.iter_mut().enumerate() {
        *o = l2_squared(v, &queries[i * stride..i * stride + v.len()]);
    }
}

/// `out[i] = dot(v, queries[i·stride .. i·stride + v.len()])`.
///
/// # Panics
///
/// As [`crate::dot_to_many`].
pub fn dot_to_many(v: &[f32], queries: &[f32], stride: usize, out: &mut [f32]) {
    crate::check_many(v.len(), queries.len(), stride, out.len());
    for (i, o) in out.iter_mut().enumerate() {
        *o = dot(v, &queries[i * stride..i * stride + v.len()]);
    }
}
