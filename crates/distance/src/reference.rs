//! `f64` reference implementations, for tests and for the rare inputs whose
//! `f32` sums overflow or underflow.
//!
//! Products of two `f32` values are exact in `f64`, and the sums use
//! Neumaier's compensated summation, so these results are accurate to a few
//! `f64` ulps — many orders of magnitude tighter than any `f32` kernel. They
//! are slow (scalar, one element at a time) and not meant for hot paths.

use crate::check_len;

/// Compensated (Neumaier) summation.
#[derive(Clone, Copy, Default)]
struct Sum {
    sum: f64,
    comp: f64,
}

impl Sum {
    #[inline]
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.comp += (self.sum - t) + x;
        } else {
            self.comp += (x - t) + self.sum;
        }
        self.sum = t;
    }

    #[inline]
    fn value(self) -> f64 {
        self.sum + self.comp
    }
}

/// Inner product `Σ aᵢ·bᵢ` in `f64`.
///
/// # Panics
///
/// Panics if `a.len() != b.len()`.
pub fn dot(a: &[f32], b: &[f32]) -> f64 {
    check_len(a.len(), b.len());
    let mut s = Sum::default();
    for (&x, &y) in a.iter().zip(b) {
        s.add(f64::from(x) * f64::from(y));
    }
    s.value()
}

/// `Σ |aᵢ·bᵢ|` in `f64`: the scale of the rounding error of any summation
/// order of `a·b`, used to state error bounds.
///
/// # Panics
///
/// Panics if `a.len() != b.len()`.
pub fn abs_dot(a: &[f32], b: &[f32]) -> f64 {
    check_len(a.len(), b.len());
    let mut s = Sum::default();
    for (&x, &y) in a.iter().zip(b) {
        s.add((f64::from(x) * f64::from(y)).abs());
    }
    s.value()
}

/// Squared Euclidean distance `Σ (aᵢ − bᵢ)²` in `f64`.
///
/// # Panics
///
/// Panics if `a.len() != b.len()`.
pub fn l2_squared(a: &[f32], b: &[f32]) -> f64 {
    check_len(a.len(), b.len());
    let mut s = Sum::default();
    for (&x, &y) in a.iter().zip(b) {
        let d = f64::from(x) - f64::from(y);
        s.add(d * d);
    }
    s.value()
}

/// Squared Euclidean norm `Σ aᵢ²` in `f64`.
pub fn norm_squared(a: &[f32]) -> f64 {
    let mut s = Sum::default();
    for &x in a {
        let x = f64::from(x);
        s.add(x * x);
    }
    s.value()
}

/// Cosine distance `1 − a·b / (|a|·|b|)` in `f64`; `1.0` when either vector
/// is zero (or empty). Not clamped to `[0, 2]`.
///
/// # Panics
///
/// Panics if `a.len() != b.len()`.
pub fn cosine_distance(a: &[f32], b: &[f32]) -> f64 {
    let ab = dot(a, b);
    let aa = norm_squared(a);
    let bb = norm_squared(b);
    if aa.is_nan() || bb.is_nan() || ab.is_nan() {
        return f64::NAN;
    }
    if aa == 0.0 || bb == 0.0 {
        return 1.0;
    }
    // sqrt separately: aa·bb can reach ~1e154 for f32 inputs, fine in f64,
    // but separate roots keep the intermediate well inside the range anyway.
    1.0 - ab / (aa.sqrt() * bb.sqrt())
}

/// Unit roundoff of `f32` (round to nearest): `2⁻²⁴`.
pub const F32_UNIT_ROUNDOFF: f64 = 1.0 / (1u64 << 24) as f64;

/// Smallest positive subnormal `f32`, `2⁻¹⁴⁹`.
const F32_MIN_SUBNORMAL: f64 = 1.401_298_464_324_817e-45;

/// Error bound that the test-suite allows for any kernel of this crate
/// computing a `d`-term `f32` sum (`dot`, `l2_squared`, `norm_squared`) whose
/// exact terms have absolute values adding up to `abs_sum` (`Σ|aᵢ·bᵢ|`, or
/// the exact result for the sums of squares):
///
/// `|computed − exact| ≤ γ_h · abs_sum + d · 2⁻¹⁴⁹`, with
/// `γ_h = h·u / (1 − h·u)`, `u = 2⁻²⁴` and `h = ⌊d/8⌋ + 16`.
///
/// This is the classical worst-case bound for a summation tree whose leaves
/// are at most `h` roundings deep (Higham, *Accuracy and Stability of
/// Numerical Algorithms*, §4.2). Every kernel here splits the sum over at
/// least 8 independent accumulators, so a term passes through at most
/// `⌈d/8⌉` accumulations in its lane, at most 7 in a scalar tail and at most
/// 6 in the final reduction; one rounding for the product (non-FMA code) and
/// two for `(aᵢ − bᵢ)` squared are included. The `d · 2⁻¹⁴⁹` term covers
/// products that fall into the subnormal range. For `d = 2048` this is about
/// `1.6e-5 · abs_sum`; for the SIMD kernels, whose lanes see only `d/32` or
/// `d/64` terms, the actual error is much smaller still.
pub fn sum_error_bound(d: usize, abs_sum: f64) -> f64 {
    gamma(d) * abs_sum + d as f64 * F32_MIN_SUBNORMAL
}

/// Absolute error bound on a cosine distance of dimension `d` computed by
/// this crate (either path): `2·γ_h + 2⁻²² + d·2⁻⁴⁹` (same `γ_h` as
/// [`sum_error_bound`]).
///
/// To first order, `Δcos ≤ |Δ(a·b)|/(|a||b|) + |cos|·(|Δ|a|²|/2|a|² +
/// |Δ|b|²|/2|b|²)`, and `Σ|aᵢbᵢ| ≤ |a||b|` (Cauchy–Schwarz), which gives
/// `2γ_h`; `2⁻²²` covers the final `f64` operations and the rounding of the
/// result to `f32`, and `d·2⁻⁴⁹` the subnormal products allowed when
/// `|a|², |b|² ≥ 2⁻¹⁰⁰` (below that the crate recomputes in `f64`).
pub fn cosine_error_bound(d: usize) -> f64 {
    2.0 * gamma(d) + 2f64.powi(-22) + d as f64 * 2f64.powi(-49)
}

fn gamma(d: usize) -> f64 {
    let h = (d / 8 + 16) as f64;
    let hu = h * F32_UNIT_ROUNDOFF;
    hu / (1.0 - hu)
}
