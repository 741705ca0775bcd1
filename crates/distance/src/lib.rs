//! f32 distance kernels with runtime CPU dispatch.
//!
//! PLACEHOLDER: scalar only; the SIMD kernels and dispatch are being written.

/// Inner product of `a` and `b` (equal lengths).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Squared Euclidean distance.
pub fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Cosine distance, 1 - cos(a, b); 1.0 when either vector is zero.
pub fn cosine_distance(a: &[f32], b: &[f32]) -> f32 {
    let ab = dot(a, b);
    let aa = dot(a, a);
    let bb = dot(b, b);
    if aa == 0.0 || bb == 0.0 {
        return 1.0;
    }
    1.0 - ab / (aa.sqrt() * bb.sqrt())
}

/// Name of the instruction set the dispatcher picked.
pub fn selected_isa() -> &'static str {
    "scalar"
}
