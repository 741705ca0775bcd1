//! Every kernel available on this CPU (plus the dispatched functions and the
//! portable fallback) against the `f64` reference.
//!
//! Tolerance: `|computed − exact| ≤ γ_h·Σ|aᵢbᵢ| + d·2⁻¹⁴⁹` with
//! `γ_h = h·2⁻²⁴/(1 − h·2⁻²⁴)`, `h = ⌊d/8⌋ + 16` for `dot`, `l2_squared`
//! (with `Σ(aᵢ−bᵢ)²`) and `norm_squared` (with `Σaᵢ²`), and an absolute
//! `2γ_h + 2⁻²² + d·2⁻⁴⁹` for `cosine_distance`. These are worst-case rounding
//! bounds for the summation trees the kernels use, not fudge factors, so the
//! tests cannot flake (inputs are seeded anyway); see
//! `vn_distance::reference::sum_error_bound` for the derivation. At d = 2048
//! the bound is ≈ 1.6e-5·Σ|aᵢbᵢ|. Inputs with small-integer values, where
//! every partial sum is exact, are checked for bit-exact results.

mod common;

use common::{check, kernels, uniform, Kernel};
use rand::{rngs::StdRng, Rng, SeedableRng};
use vn_distance::reference;

/// Runs `check` for every kernel; panics listing all failures.
fn check_all(ks: &[Kernel], a: &[f32], b: &[f32]) {
    let failures: Vec<String> = ks.iter().filter_map(|k| check(k, a, b).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Copies `v` into a fresh buffer at element offset `off`, so the returned
/// slice starts `4·off` bytes past the allocation's (16-byte-aligned) start.
fn at_offset(v: &[f32], off: usize) -> (Vec<f32>, usize) {
    let mut buf = vec![0.0_f32; off + v.len()];
    buf[off..].copy_from_slice(v);
    (buf, off)
}

#[test]
fn lists_the_kernels_this_cpu_supports() {
    let names: Vec<&str> = kernels().iter().map(|k| k.name).collect();
    eprintln!("kernels under test: {names:?}; dispatcher selected {}", vn_distance::selected_isa());
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            assert!(names.contains(&"avx2+fma"));
        }
        if std::is_x86_feature_detected!("avx512f") {
            assert!(names.contains(&"avx512f"));
        }
    }
}

#[test]
fn selected_isa_is_the_best_one_available() {
    let isa = vn_distance::selected_isa();
    #[cfg(target_arch = "x86_64")]
    let expected = if std::is_x86_feature_detected!("avx512f") {
        "avx512f"
    } else if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        "avx2+fma"
    } else {
        "scalar"
    };
    #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
    let expected = "neon";
    #[cfg(not(any(target_arch = "x86_64", all(target_arch = "aarch64", target_feature = "neon"))))]
    let expected = "scalar";
    assert_eq!(isa, expected);
}

#[test]
fn dispatched_functions_are_the_selected_kernel() {
    let ks = kernels();
    let sel = ks.iter().find(|k| k.name == vn_distance::selected_isa()).expect("selected kernel is listed");
    let mut rng = StdRng::seed_from_u64(11);
    for d in [1, 7, 31, 100, 768, 1536, 2047] {
        let a = uniform(&mut rng, d, 1.0);
        let b = uniform(&mut rng, d, 1.0);
        assert_eq!(vn_distance::dot(&a, &b).to_bits(), (sel.dot)(&a, &b).to_bits());
        assert_eq!(vn_distance::l2_squared(&a, &b).to_bits(), (sel.l2_squared)(&a, &b).to_bits());
        assert_eq!(vn_distance::norm_squared(&a).to_bits(), (sel.norm_squared)(&a).to_bits());
        assert_eq!(vn_distance::cosine_distance(&a, &b).to_bits(), (sel.cosine_distance)(&a, &b).to_bits());
    }
}

#[test]
fn every_dimension_up_to_2048_matches_reference() {
    let ks = kernels();
    let mut rng = StdRng::seed_from_u64(0x5eed);
    for d in 1..=2048 {
        let (a, b) = if d % 3 == 0 {
            // All positive: no cancellation, large sums.
            let a: Vec<f32> = (0..d).map(|_| rng.gen_range(0.0_f32..1.0)).collect();
            let b: Vec<f32> = (0..d).map(|_| rng.gen_range(0.0_f32..1.0)).collect();
            (a, b)
        } else {
            (uniform(&mut rng, d, 1.0), uniform(&mut rng, d, 1.0))
        };
        // Vary the start alignment with d.
        let (ba, oa) = at_offset(&a, d % 8);
        let (bb, ob) = at_offset(&b, (d / 8) % 8);
        check_all(&ks, &ba[oa..], &bb[ob..]);
    }
}

#[test]
fn exact_on_small_integers_for_every_dimension() {
    // Values in -8..=8: products ≤ 64 and all partial sums are integers below
    // 2^24, so every kernel must be exact; a skipped or repeated element, or a
    // stray lane, changes the result.
    let ks = kernels();
    let mut rng = StdRng::seed_from_u64(42);
    for d in 0..=2048 {
        let a: Vec<f32> = (0..d).map(|_| rng.gen_range(-8_i32..=8) as f32).collect();
        let b: Vec<f32> = (0..d).map(|_| rng.gen_range(-8_i32..=8) as f32).collect();
        let (dot, l2, norm) = (reference::dot(&a, &b), reference::l2_squared(&a, &b), reference::norm_squared(&a));
        for k in &ks {
            assert_eq!(f64::from((k.dot)(&a, &b)), dot, "{} dot d={d}", k.name);
            assert_eq!(f64::from((k.l2_squared)(&a, &b)), l2, "{} l2 d={d}", k.name);
            assert_eq!(f64::from((k.norm_squared)(&a)), norm, "{} norm d={d}", k.name);
        }
    }
}

#[test]
fn unaligned_starts() {
    let ks = kernels();
    let mut rng = StdRng::seed_from_u64(3);
    for d in (1..=40).chain([63, 64, 65, 127, 255, 257, 768, 1000, 1536]) {
        let a = uniform(&mut rng, d, 1.0);
        let b = uniform(&mut rng, d, 1.0);
        for oa in 0..8 {
            for ob in [0, 1, 3, 5, 7] {
                let (ba, _) = at_offset(&a, oa);
                let (bb, _) = at_offset(&b, ob);
                check_all(&ks, &ba[oa..], &bb[ob..]);
            }
        }
    }
}

#[test]
fn huge_magnitudes() {
    let ks = kernels();
    let mut rng = StdRng::seed_from_u64(4);
    // |x| ≤ 1e18: products ≤ 1e36, sums stay below f32::MAX up to d = 128.
    for d in 1..=128 {
        let a = uniform(&mut rng, d, 1e18);
        let b = uniform(&mut rng, d, 1e18);
        check_all(&ks, &a, &b);
    }
    // Larger d: |a|² overflows f32; cosine_distance and normalize fall back to f64.
    for d in [200, 768, 1536, 2048] {
        let a = uniform(&mut rng, d, 1e19);
        let b = uniform(&mut rng, d, 1e19);
        assert!(vn_distance::norm_squared(&a).is_infinite());
        let exact = reference::cosine_distance(&a, &b);
        for k in &ks {
            let got = f64::from((k.cosine_distance)(&a, &b));
            common::within(k.name, "cosine (overflowing norms)", d, got, exact, reference::cosine_error_bound(d))
                .unwrap();
        }
        let mut n = a.clone();
        assert!(vn_distance::normalize(&mut n));
        assert!((reference::norm_squared(&n) - 1.0).abs() < 1e-5);
    }
    // Near f32::MAX itself.
    let a = [3.0e38_f32, -3.0e38];
    for k in &ks {
        assert_eq!((k.cosine_distance)(&a, &a), 0.0, "{}", k.name);
        assert_eq!((k.cosine_distance)(&a, &[-3.0e38, 3.0e38]), 2.0, "{}", k.name);
        assert!((k.dot)(&a, &a).is_infinite());
    }
}

#[test]
fn tiny_magnitudes() {
    let ks = kernels();
    let mut rng = StdRng::seed_from_u64(5);
    // |x| ≤ 1e-18: products ~1e-36, partly subnormal; |a|² < 2^-100, so the
    // cosine goes through the f64 path.
    for d in (1..=64).chain([100, 768, 1536, 2048]) {
        let a = uniform(&mut rng, d, 1e-18);
        let b = uniform(&mut rng, d, 1e-18);
        check_all(&ks, &a, &b);
    }
    // Subnormal vectors: the f32 squares flush to zero, but they are not zero vectors.
    let a = [1e-40_f32, 2e-40, -3e-40];
    let b = [2e-40_f32, 4e-40, -6e-40];
    for k in &ks {
        assert_eq!((k.norm_squared)(&a), 0.0);
        let c = (k.cosine_distance)(&a, &b);
        assert!(c.abs() < 1e-2, "{}: cosine of parallel subnormal vectors = {c}", k.name);
    }
    let mut n = a;
    assert!(vn_distance::normalize(&mut n));
    assert!((reference::norm_squared(&n) - 1.0).abs() < 1e-2, "{n:?}");
}

#[test]
fn mixed_signs_and_magnitudes() {
    let ks = kernels();
    let mut rng = StdRng::seed_from_u64(6);
    for d in (1..=96).chain([255, 768, 1023, 1536, 2048]) {
        // Heavy cancellation: b = ±a, so a·b is a small difference of large sums.
        let a = uniform(&mut rng, d, 1.0);
        let b: Vec<f32> = a.iter().enumerate().map(|(i, &x)| if i % 2 == 0 { x } else { -x }).collect();
        check_all(&ks, &a, &b);
        // Components spanning 1e-18..1e9 with random signs.
        let spread = |rng: &mut StdRng| -> Vec<f32> {
            (0..d)
                .map(|_| {
                    let e = rng.gen_range(-18_i32..=9);
                    let s = if rng.gen::<bool>() { 1.0 } else { -1.0 };
                    s * rng.gen_range(1.0_f32..10.0) * 10f32.powi(e)
                })
                .collect()
        };
        let (a, b) = (spread(&mut rng), spread(&mut rng));
        check_all(&ks, &a, &b);
    }
}

#[test]
fn zero_and_empty_vectors() {
    let ks = kernels();
    let mut rng = StdRng::seed_from_u64(8);
    for d in [0, 1, 5, 16, 33, 768] {
        let z = vec![0.0_f32; d];
        let x = uniform(&mut rng, d, 1.0);
        for k in &ks {
            assert_eq!((k.dot)(&z, &x), 0.0, "{} d={d}", k.name);
            assert_eq!((k.l2_squared)(&z, &z), 0.0, "{} d={d}", k.name);
            assert_eq!((k.norm_squared)(&z), 0.0, "{} d={d}", k.name);
            assert_eq!((k.cosine_distance)(&z, &x), 1.0, "{} d={d}", k.name);
            assert_eq!((k.cosine_distance)(&x, &z), 1.0, "{} d={d}", k.name);
            assert_eq!((k.cosine_distance)(&z, &z), 1.0, "{} d={d}", k.name);
        }
        let mut zz = z.clone();
        assert!(!vn_distance::normalize(&mut zz));
        assert_eq!(zz, z);
    }
}

#[test]
fn cosine_of_parallel_opposite_and_orthogonal_vectors() {
    let ks = kernels();
    let mut rng = StdRng::seed_from_u64(9);
    for d in [2, 3, 8, 17, 128, 768, 1536] {
        let a = uniform(&mut rng, d, 1.0);
        let twice: Vec<f32> = a.iter().map(|x| 2.0 * x).collect();
        let neg: Vec<f32> = a.iter().map(|x| -x).collect();
        let bound = reference::cosine_error_bound(d) as f32;
        for k in &ks {
            let same = (k.cosine_distance)(&a, &twice);
            assert!((0.0..=bound).contains(&same), "{} d={d}: {same}", k.name);
            let opp = (k.cosine_distance)(&a, &neg);
            assert!((2.0 - bound..=2.0).contains(&opp), "{} d={d}: {opp}", k.name);
        }
    }
    let (e1, e2) = ([1.0_f32, 0.0, 0.0], [0.0_f32, 5.0, 0.0]);
    for k in &ks {
        assert_eq!((k.cosine_distance)(&e1, &e2), 1.0);
    }
}

#[test]
fn nan_propagates() {
    for k in kernels() {
        for d in [1, 9, 40, 100] {
            for pos in [0, d / 2, d - 1] {
                let mut a = vec![0.5_f32; d];
                a[pos] = f32::NAN;
                let b = vec![0.25_f32; d];
                assert!((k.dot)(&a, &b).is_nan(), "{} d={d} pos={pos}", k.name);
                assert!((k.l2_squared)(&a, &b).is_nan(), "{} d={d} pos={pos}", k.name);
                assert!((k.norm_squared)(&a).is_nan(), "{} d={d} pos={pos}", k.name);
                assert!((k.cosine_distance)(&a, &b).is_nan(), "{} d={d} pos={pos}", k.name);
                let mut n = a.clone();
                assert!(!vn_distance::normalize(&mut n));
            }
        }
    }
}

#[test]
fn length_mismatch_panics_in_every_kernel() {
    let a = [1.0_f32; 9];
    let b = [1.0_f32; 8];
    for k in kernels() {
        let f = [
            std::panic::catch_unwind(|| (k.dot)(&a, &b)).is_err(),
            std::panic::catch_unwind(|| (k.l2_squared)(&a, &b)).is_err(),
            std::panic::catch_unwind(|| (k.cosine_distance)(&b, &a)).is_err(),
        ];
        assert_eq!(f, [true; 3], "{}", k.name);
    }
}

#[test]
#[should_panic(expected = "different lengths")]
fn dot_panics_on_length_mismatch() {
    vn_distance::dot(&[1.0, 2.0, 3.0], &[1.0, 2.0]);
}

#[test]
fn normalize_gives_unit_vectors() {
    let mut rng = StdRng::seed_from_u64(10);
    for d in [1, 2, 7, 64, 100, 768, 2048] {
        for scale in [1e-12_f32, 1.0, 1e12] {
            let mut a = uniform(&mut rng, d, scale);
            let before = a.clone();
            assert!(vn_distance::normalize(&mut a));
            assert!((reference::norm_squared(&a) - 1.0).abs() < 1e-5, "d={d} scale={scale}");
            // Direction unchanged.
            assert!(reference::cosine_distance(&a, &before).abs() < 1e-6);
        }
    }
    let mut inf = [1.0_f32, f32::INFINITY];
    assert!(!vn_distance::normalize(&mut inf));
    assert_eq!(inf, [1.0, f32::INFINITY]);
    assert!(!vn_distance::normalize(&mut []));
}

/// The checks must be able to fail: a kernel that drops the last element,
/// or one that sums in a sloppy order, is rejected.
#[test]
fn checks_reject_broken_kernels() {
    fn drops_last(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().saturating_sub(1);
        vn_distance::dot(&a[..n], &b[..n])
    }
    fn drops_last_l2(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().saturating_sub(1);
        vn_distance::l2_squared(&a[..n], &b[..n])
    }
    fn drops_last_norm(a: &[f32]) -> f32 {
        vn_distance::norm_squared(&a[..a.len().saturating_sub(1)])
    }
    fn drops_last_cos(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().saturating_sub(1);
        vn_distance::cosine_distance(&a[..n], &b[..n])
    }
    let broken = Kernel {
        name: "broken",
        dot: drops_last,
        l2_squared: drops_last_l2,
        norm_squared: drops_last_norm,
        cosine_distance: drops_last_cos,
    };
    let mut rng = StdRng::seed_from_u64(12);
    let mut rejected = 0;
    for d in 1..=2048 {
        let a = uniform(&mut rng, d, 1.0);
        let b = uniform(&mut rng, d, 1.0);
        if check(&broken, &a, &b).is_err() {
            rejected += 1;
        }
    }
    assert!(rejected >= 2040, "only {rejected}/2048 broken results rejected");
}
