//! Metric → distance kernel, over the `vn_distance` SIMD kernels.

use crate::Metric;

/// Distance between a stored vector and a (prepared) query: smaller is closer.
///
/// Under `Cosine` both sides are already unit vectors (stored vectors are normalized on add,
/// queries once per search), so cosine is `1 - a·b` like `Dot`.
#[inline]
pub(crate) fn distance(metric: Metric, a: &[f32], b: &[f32]) -> f32 {
    match metric {
        Metric::L2 => vn_distance::l2_squared(a, b),
        Metric::Cosine | Metric::Dot => 1.0 - vn_distance::dot(a, b),
    }
}

/// `out[i] = distance(metric, query_i, v)` for the `out.len()` (prepared) queries stored
/// `stride` floats apart in `queries`, bit for bit, reading `v` once for several queries.
#[inline]
pub(crate) fn distances_to_many(metric: Metric, v: &[f32], queries: &[f32], stride: usize, out: &mut [f32]) {
    match metric {
        Metric::L2 => vn_distance::l2_squared_to_many(v, queries, stride, out),
        Metric::Cosine | Metric::Dot => {
            vn_distance::dot_to_many(v, queries, stride, out);
            for d in out.iter_mut() {
                *d = 1.0 - *d;
            }
        }
    }
}

/// Scales `v` into `out` to unit length. Returns `false` (and leaves `out` unspecified) for a
/// vector with no direction (all zeros).
///
/// The squared norm is summed in `f64` in a fixed order, not with `vn_distance::dot`: the SIMD
/// kernels' last bits depend on the input's address, and a query normalized in one buffer must
/// give the very same floats as in another. In `f64` it can neither overflow (components up to
/// `f32::MAX`) nor underflow (the smallest subnormals).
pub(crate) fn normalize_into(v: &[f32], out: &mut [f32]) -> bool {
    debug_assert_eq!(v.len(), out.len());
    let norm2 = norm2_f64(v);
    if !norm2.is_finite() || norm2 <= 0.0 {
        return false;
    }
    let inv = 1.0 / norm2.sqrt();
    for (o, x) in out.iter_mut().zip(v) {
        *o = (f64::from(*x) * inv) as f32;
    }
    true
}

/// Whether [`normalize_into`] accepts `v` (it has a direction), without writing anything.
pub(crate) fn has_direction(v: &[f32]) -> bool {
    let norm2 = norm2_f64(v);
    norm2.is_finite() && norm2 > 0.0
}

/// `Σ vᵢ²` in `f64`, in a fixed order.
fn norm2_f64(v: &[f32]) -> f64 {
    let mut acc = [0.0f64; 4];
    let mut chunks = v.chunks_exact(4);
    for c in &mut chunks {
        for (a, x) in acc.iter_mut().zip(c) {
            *a += f64::from(*x) * f64::from(*x);
        }
    }
    for (a, x) in acc.iter_mut().zip(chunks.remainder()) {
        *a += f64::from(*x) * f64::from(*x);
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_handles_extreme_magnitudes() {
        for v in [vec![3.0f32, 4.0], vec![3e30, 4e30], vec![3e-30, 4e-30], vec![f32::MAX, f32::MAX], vec![1e-45, 0.0]] {
            let mut out = vec![0.0; v.len()];
            assert!(normalize_into(&v, &mut out), "{v:?}");
            let n: f32 = out.iter().map(|x| x * x).sum();
            assert!((n - 1.0).abs() < 1e-5, "{v:?} -> {out:?}");
        }
        let mut out = [0.0f32; 3];
        assert!(!normalize_into(&[0.0, -0.0, 0.0], &mut out));
        assert!(!has_direction(&[0.0, -0.0, 0.0]) && has_direction(&[0.0, 1e-45, 0.0]));
    }

    #[test]
    fn metrics() {
        assert_eq!(distance(Metric::L2, &[1.0, 2.0], &[3.0, 5.0]), 13.0);
        assert_eq!(distance(Metric::Dot, &[1.0, 2.0], &[3.0, 5.0]), 1.0 - 13.0);
        assert_eq!(distance(Metric::Cosine, &[1.0, 0.0], &[0.0, 1.0]), 1.0);
    }
}
