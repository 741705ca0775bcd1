//! Shared test helpers: the list of kernels to check on this CPU, random
//! inputs, and the tolerance checks (bounds documented in
//! `vn_distance::reference::sum_error_bound` / `cosine_error_bound`).
#![allow(dead_code)]

use rand::{rngs::StdRng, Rng};
use vn_distance::reference;

/// One kernel set, as plain function pointers.
pub struct Kernel {
    pub name: &'static str,
    pub dot: fn(&[f32], &[f32]) -> f32,
    pub l2_squared: fn(&[f32], &[f32]) -> f32,
    pub norm_squared: fn(&[f32]) -> f32,
    pub cosine_distance: fn(&[f32], &[f32]) -> f32,
}

/// The dispatched functions, the portable ones, and every SIMD kernel set
/// this CPU supports.
pub fn kernels() -> Vec<Kernel> {
    let mut v = vec![
        Kernel {
            name: "dispatched",
            dot: vn_distance::dot,
            l2_squared: vn_distance::l2_squared,
            norm_squared: vn_distance::norm_squared,
            cosine_distance: vn_distance::cosine_distance,
        },
        Kernel {
            name: "scalar",
            dot: vn_distance::scalar::dot,
            l2_squared: vn_distance::scalar::l2_squared,
            norm_squared: vn_distance::scalar::norm_squared,
            cosine_distance: vn_distance::scalar::cosine_distance,
        },
    ];
    #[cfg(target_arch = "x86_64")]
    {
        use vn_distance::x86_64::{avx2::Avx2Fma, avx512::Avx512F};
        if Avx2Fma::new().is_some() {
            v.push(Kernel {
                name: "avx2+fma",
                dot: |a, b| Avx2Fma::new().unwrap().dot(a, b),
                l2_squared: |a, b| Avx2Fma::new().unwrap().l2_squared(a, b),
                norm_squared: |a| Avx2Fma::new().unwrap().norm_squared(a),
                cosine_distance: |a, b| Avx2Fma::new().unwrap().cosine_distance(a, b),
            });
        }
        if Avx512F::new().is_some() {
            v.push(Kernel {
                name: "avx512f",
                dot: |a, b| Avx512F::new().unwrap().dot(a, b),
                l2_squared: |a, b| Avx512F::new().unwrap().l2_squared(a, b),
                norm_squared: |a| Avx512F::new().unwrap().norm_squared(a),
                cosine_distance: |a, b| Avx512F::new().unwrap().cosine_distance(a, b),
            });
        }
    }
    #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
    {
        use vn_distance::aarch64::neon;
        v.push(Kernel {
            name: "neon",
            dot: neon::dot,
            l2_squared: neon::l2_squared,
            norm_squared: neon::norm_squared,
            cosine_distance: neon::cosine_distance,
        });
    }
    v
}

pub fn uniform(rng: &mut StdRng, d: usize, scale: f32) -> Vec<f32> {
    (0..d).map(|_| rng.gen_range(-1.0_f32..1.0) * scale).collect()
}

/// Checks all four functions of `k` on `(a, b)` against the f64 reference.
/// Returns a description of the first violation.
pub fn check(k: &Kernel, a: &[f32], b: &[f32]) -> Result<(), String> {
    let d = a.len();

    let exact = reference::dot(a, b);
    let bound = reference::sum_error_bound(d, reference::abs_dot(a, b));
    within(k.name, "dot", d, f64::from((k.dot)(a, b)), exact, bound)?;

    let exact = reference::l2_squared(a, b);
    let bound = reference::sum_error_bound(d, exact);
    within(k.name, "l2_squared", d, f64::from((k.l2_squared)(a, b)), exact, bound)?;

    let exact = reference::norm_squared(a);
    let bound = reference::sum_error_bound(d, exact);
    within(k.name, "norm_squared", d, f64::from((k.norm_squared)(a)), exact, bound)?;

    let exact = reference::cosine_distance(a, b).clamp(0.0, 2.0);
    let bound = reference::cosine_error_bound(d);
    within(k.name, "cosine_distance", d, f64::from((k.cosine_distance)(a, b)), exact, bound)?;
    Ok(())
}

pub fn within(kernel: &str, func: &str, d: usize, got: f64, exact: f64, bound: f64) -> Result<(), String> {
    let err = (got - exact).abs();
    if err.is_nan() || err > bound {
        return Err(format!("{kernel}::{func} d={d}: got {got:e}, exact {exact:e}, |err| {err:e} > bound {bound:e}"));
    }
    Ok(())
}

/// A copy of `values` in a fresh buffer whose start has the same offset past
/// a 64-byte boundary as `like`: the x86_64 kernels' summation order depends
/// on that offset, so bit-for-bit comparisons need matching layouts.
pub fn copy_aligned_like(like: &[f32], values: &[f32]) -> (Vec<f32>, usize) {
    let want = like.as_ptr() as usize % 64;
    let mut buf = vec![0.0_f32; values.len() + 16];
    let base = buf.as_ptr() as usize;
    let off = (0..16).find(|k| (base + 4 * k) % 64 == want).expect("f32 buffers are 4-byte aligned");
    buf[off..off + values.len()].copy_from_slice(values);
    (buf, off)
}
