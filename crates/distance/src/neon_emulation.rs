//! Test-only: compiles `aarch64/neon.rs` on non-aarch64 targets against a
//! portable model of the few NEON intrinsics it uses, and checks the kernels'
//! results, so their loop, remainder and tail logic is exercised on the
//! x86_64 development machines and CI. (Instruction selection and the real
//! intrinsics' signatures are only checked by an actual aarch64 build.)

/// Portable stand-ins with the semantics of the ARM intrinsics.
#[allow(non_camel_case_types)]
mod shim {
    #[derive(Clone, Copy, Debug)]
    pub struct float32x4_t([f32; 4]);

    pub fn vdupq_n_f32(x: f32) -> float32x4_t {
        float32x4_t([x; 4])
    }

    /// # Safety
    ///
    /// `p..p + 4` must be readable.
    pub unsafe fn vld1q_f32(p: *const f32) -> float32x4_t {
        // SAFETY: the caller guarantees 4 readable floats.
        float32x4_t(unsafe { core::ptr::read_unaligned(p.cast::<[f32; 4]>()) })
    }

    pub fn vaddq_f32(a: float32x4_t, b: float32x4_t) -> float32x4_t {
        float32x4_t(core::array::from_fn(|i| a.0[i] + b.0[i]))
    }

    pub fn vsubq_f32(a: float32x4_t, b: float32x4_t) -> float32x4_t {
        float32x4_t(core::array::from_fn(|i| a.0[i] - b.0[i]))
    }

    /// `a + b·c`, fused (FMLA).
    pub fn vfmaq_f32(a: float32x4_t, b: float32x4_t, c: float32x4_t) -> float32x4_t {
        float32x4_t(core::array::from_fn(|i| b.0[i].mul_add(c.0[i], a.0[i])))
    }

    /// Across-vector add (FADDP pairwise).
    pub fn vaddvq_f32(a: float32x4_t) -> f32 {
        (a.0[0] + a.0[1]) + (a.0[2] + a.0[3])
    }
}

#[path = "aarch64/neon.rs"]
#[allow(dead_code)]
mod neon;

use crate::reference;
use rand::{rngs::StdRng, Rng, SeedableRng};

fn random_vec(rng: &mut StdRng, d: usize) -> Vec<f32> {
    (0..d).map(|_| rng.gen_range(-1.0_f32..1.0)).collect()
}

#[test]
fn neon_kernels_match_reference_for_every_dim() {
    let mut rng = StdRng::seed_from_u64(0xa64);
    for d in 0..=1024 {
        // Odd offset: unaligned starts.
        let off = d % 4;
        let a = random_vec(&mut rng, d + off);
        let b = random_vec(&mut rng, d + off);
        let (a, b) = (&a[off..], &b[off..]);

        let exact = reference::dot(a, b);
        let bound = reference::sum_error_bound(d, reference::abs_dot(a, b));
        let got = f64::from(neon::dot(a, b));
        assert!((got - exact).abs() <= bound, "neon dot d={d}: {got} vs {exact}");

        let exact = reference::l2_squared(a, b);
        let got = f64::from(neon::l2_squared(a, b));
        let bound = reference::sum_error_bound(d, exact);
        assert!((got - exact).abs() <= bound, "neon l2 d={d}: {got} vs {exact}");

        let exact = reference::norm_squared(a);
        let got = f64::from(neon::norm_squared(a));
        let bound = reference::sum_error_bound(d, exact);
        assert!((got - exact).abs() <= bound, "neon norm d={d}: {got} vs {exact}");

        let exact = reference::cosine_distance(a, b);
        let got = f64::from(neon::cosine_distance(a, b));
        let bound = reference::cosine_error_bound(d);
        assert!((got - exact).abs() <= bound, "neon cos d={d}: {got} vs {exact}");
    }
}

#[test]
fn neon_kernels_are_exact_on_small_integers() {
    // Every partial sum is an integer below 2^24, so any missed or repeated
    // element changes the result.
    let mut rng = StdRng::seed_from_u64(7);
    for d in 0..=600 {
        let a: Vec<f32> = (0..d).map(|_| rng.gen_range(-8_i32..=8) as f32).collect();
        let b: Vec<f32> = (0..d).map(|_| rng.gen_range(-8_i32..=8) as f32).collect();
        assert_eq!(f64::from(neon::dot(&a, &b)), reference::dot(&a, &b), "d={d}");
        assert_eq!(f64::from(neon::l2_squared(&a, &b)), reference::l2_squared(&a, &b), "d={d}");
        assert_eq!(f64::from(neon::norm_squared(&a)), reference::norm_squared(&a), "d={d}");
        let (ab, aa, bb) = neon::dot_and_norms(&a, &b);
        let exact = (reference::dot(&a, &b), reference::norm_squared(&a), reference::norm_squared(&b));
        assert_eq!((f64::from(ab), f64::from(aa), f64::from(bb)), exact, "d={d}");
    }
}

#[test]
#[should_panic(expected = "different lengths")]
fn neon_dot_panics_on_length_mismatch() {
    neon::dot(&[1.0, 2.0], &[1.0]);
}
