//! Property tests (proptest) over random lengths, values and magnitudes, for
//! every kernel available on this CPU. Tolerances as in `kernels.rs`
//! (`vn_distance::reference::sum_error_bound` / `cosine_error_bound`).

mod common;

use common::{check, copy_aligned_like, kernels};
use proptest::prelude::*;
use vn_distance::reference;

/// Values from several magnitude classes, including exact zeros.
fn value() -> impl Strategy<Value = f32> {
    prop_oneof![
        4 => -1.0_f32..1.0,
        2 => -1e6_f32..1e6,
        2 => -1e-6_f32..1e-6,
        1 => Just(0.0_f32),
        1 => (-64_i32..=64).prop_map(|i| i as f32),
    ]
}

/// Two vectors of the same length (0..=600).
fn pair() -> impl Strategy<Value = (Vec<f32>, Vec<f32>)> {
    (0_usize..=600).prop_flat_map(|n| (prop::collection::vec(value(), n), prop::collection::vec(value(), n)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn all_kernels_within_error_bound((a, b) in pair(), off in 0_usize..8) {
        // Shift the start by `off` elements (unaligned loads) when possible.
        let off = off.min(a.len());
        for k in kernels() {
            if let Err(e) = check(&k, &a[off..], &b[off..]) {
                prop_assert!(false, "{}", e);
            }
        }
    }

    #[test]
    fn symmetric_bit_for_bit((a, b) in pair()) {
        for k in kernels() {
            prop_assert_eq!((k.dot)(&a, &b).to_bits(), (k.dot)(&b, &a).to_bits(), "{}", k.name);
            prop_assert_eq!((k.l2_squared)(&a, &b).to_bits(), (k.l2_squared)(&b, &a).to_bits(), "{}", k.name);
            prop_assert_eq!(
                (k.cosine_distance)(&a, &b).to_bits(),
                (k.cosine_distance)(&b, &a).to_bits(),
                "{}", k.name
            );
        }
    }

    #[test]
    fn self_distance_is_zero((a, _b) in pair()) {
        for k in kernels() {
            prop_assert_eq!((k.l2_squared)(&a, &a), 0.0, "{}", k.name);
            let c = (k.cosine_distance)(&a, &a);
            if a.iter().all(|&x| x == 0.0) {
                prop_assert_eq!(c, 1.0);
            } else {
                prop_assert!((0.0..=reference::cosine_error_bound(a.len()) as f32).contains(&c), "{}: {}", k.name, c);
            }
        }
    }

    #[test]
    fn power_of_two_scaling_is_exact((a, b) in pair(), e in 1_i32..8) {
        // Multiplying by 2^e scales every product and partial sum exactly
        // (values here cannot overflow), so results scale bit for bit.
        // The scaled copies get the same offsets past a 64-byte boundary as the
        // originals, since the summation order depends on them.
        let s = 2f32.powi(e);
        let n = a.len();
        let (ba, oa) = copy_aligned_like(&a, &a.iter().map(|x| x * s).collect::<Vec<_>>());
        let (bb, ob) = copy_aligned_like(&b, &b.iter().map(|x| x * s).collect::<Vec<_>>());
        let (sa, sb) = (&ba[oa..oa + n], &bb[ob..ob + n]);
        for k in kernels() {
            prop_assert_eq!((k.dot)(sa, &b), s * (k.dot)(&a, &b), "{}", k.name);
            prop_assert_eq!((k.l2_squared)(sa, sb), s * s * (k.l2_squared)(&a, &b), "{}", k.name);
            prop_assert_eq!((k.norm_squared)(sa), s * s * (k.norm_squared)(&a), "{}", k.name);
        }
    }

    #[test]
    fn cosine_is_in_range((a, b) in pair()) {
        for k in kernels() {
            let c = (k.cosine_distance)(&a, &b);
            prop_assert!((0.0..=2.0).contains(&c), "{}: {}", k.name, c);
        }
    }

    #[test]
    fn normalize_yields_unit_norm((mut a, _b) in pair()) {
        let nonzero = a.iter().any(|&x| x != 0.0);
        let before = a.clone();
        prop_assert_eq!(vn_distance::normalize(&mut a), nonzero);
        if nonzero {
            prop_assert!((reference::norm_squared(&a) - 1.0).abs() < 1e-5);
        } else {
            prop_assert_eq!(a, before);
        }
    }
}
