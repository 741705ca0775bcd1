//! The one-to-many kernels (`l2_squared_to_many`, `dot_to_many`) give, for every
//! query, bit for bit what the one-pair kernel of the same kernel set gives:
//! the exact scan of a batch must return what one-at-a-time searches return.

use proptest::prelude::*;

type Pair = fn(&[f32], &[f32]) -> f32;
type Many = fn(&[f32], &[f32], usize, &mut [f32]);

/// (name, one-pair l2, many l2, one-pair dot, many dot) for every kernel set on this CPU.
fn sets() -> Vec<(&'static str, Pair, Many, Pair, Many)> {
    let mut v: Vec<(&'static str, Pair, Many, Pair, Many)> = vec![
        (
            "dispatched",
            vn_distance::l2_squared,
            vn_distance::l2_squared_to_many,
            vn_distance::dot,
            vn_distance::dot_to_many,
        ),
        (
            "scalar",
            vn_distance::scalar::l2_squared,
            vn_distance::scalar::l2_squared_to_many,
            vn_distance::scalar::dot,
            vn_distance::scalar::dot_to_many,
        ),
    ];
    #[cfg(target_arch = "x86_64")]
    {
        use vn_distance::x86_64::{avx2::Avx2Fma, avx512::Avx512F};
        if Avx2Fma::new().is_some() {
            v.push((
                "avx2+fma",
                |a, b| Avx2Fma::new().unwrap().l2_squared(a, b),
                |v, q, s, o| Avx2Fma::new().unwrap().l2_squared_to_many(v, q, s, o),
                |a, b| Avx2Fma::new().unwrap().dot(a, b),
                |v, q, s, o| Avx2Fma::new().unwrap().dot_to_many(v, q, s, o),
            ));
        }
        if Avx512F::new().is_some() {
            v.push((
                "avx512f",
                |a, b| Avx512F::new().unwrap().l2_squared(a, b),
                |v, q, s, o| Avx512F::new().unwrap().l2_squared_to_many(v, q, s, o),
                |a, b| Avx512F::new().unwrap().dot(a, b),
                |v, q, s, o| Avx512F::new().unwrap().dot_to_many(v, q, s, o),
            ));
        }
    }
    v
}

/// `values` copied into a buffer so that it starts `off` floats past a 64-byte boundary.
fn placed(values: &[f32], off: usize) -> (Vec<f32>, usize) {
    let mut buf = vec![0.0_f32; values.len() + 32];
    let base = buf.as_ptr() as usize;
    let start = (0..16).find(|k| (base + 4 * k).is_multiple_of(64)).unwrap() + off;
    buf[start..start + values.len()].copy_from_slice(values);
    (buf, start)
}

fn value() -> impl Strategy<Value = f32> {
    prop_oneof![4 => -1.0_f32..1.0, 1 => -1e4_f32..1e4, 1 => Just(0.0_f32)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn to_many_equals_one_pair_bit_for_bit(
        n in 1_usize..=200,
        count in 0_usize..=11,
        extra in 0_usize..=20,
        v_off in prop_oneof![3 => Just(0_usize), 1 => 1_usize..16],
        q_off in 0_usize..16,
        seed in any::<u64>(),
    ) {
        let stride = n + extra;
        let mut x = seed | 1;
        let mut next = || { x ^= x << 13; x ^= x >> 7; x ^= x << 17; ((x >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0 };
        let v: Vec<f32> = (0..n).map(|_| next()).collect();
        let qs: Vec<f32> = (0..count * stride).map(|_| next() * 3.0).collect();
        let (vb, vs) = placed(&v, v_off);
        let (qb, qstart) = placed(&qs, q_off);
        let v = &vb[vs..vs + n];
        let qs = &qb[qstart..qstart + qs.len()];
        for (name, l2, l2_many, dot, dot_many) in sets() {
            let mut out = vec![f32::NAN; count];
            l2_many(v, qs, stride, &mut out);
            for (i, d) in out.iter().enumerate() {
                let want = l2(v, &qs[i * stride..i * stride + n]);
                prop_assert_eq!(d.to_bits(), want.to_bits(), "{} l2 query {}", name, i);
            }
            dot_many(v, qs, stride, &mut out);
            for (i, d) in out.iter().enumerate() {
                let want = dot(v, &qs[i * stride..i * stride + n]);
                prop_assert_eq!(d.to_bits(), want.to_bits(), "{} dot query {}", name, i);
            }
        }
    }

    #[test]
    fn any_values(vals in prop::collection::vec(value(), 1..=80), count in 1_usize..=9) {
        // v is one row; the queries are rotations of it (same length, stride = n).
        let n = vals.len();
        let qs: Vec<f32> = (0..count).flat_map(|c| (0..n).map(move |j| (c, j))).map(|(c, j)| vals[(j + c) % n]).collect();
        let (vb, vs) = placed(&vals, 0);
        let v = &vb[vs..vs + n];
        for (name, l2, l2_many, _dot, _dot_many) in sets() {
            let mut out = vec![0.0; count];
            l2_many(v, &qs, n, &mut out);
            for (i, d) in out.iter().enumerate() {
                prop_assert_eq!(d.to_bits(), l2(v, &qs[i * n..(i + 1) * n]).to_bits(), "{} query {}", name, i);
            }
        }
    }
}

#[test]
#[should_panic(expected = "do not fit")]
fn too_short_queries_panic() {
    let v = [0.0_f32; 8];
    let qs = [0.0_f32; 15];
    let mut out = [0.0_f32; 2];
    vn_distance::l2_squared_to_many(&v, &qs, 8, &mut out);
}

#[test]
fn empty_batch_is_fine() {
    let v = [1.0_f32; 8];
    vn_distance::dot_to_many(&v, &[], 8, &mut []);
}
