//! AVX-512F kernels: 16 lanes per register.
//!
//! Main loops consume 64 floats per iteration into four independent FMA
//! accumulators (twelve for the one-pass cosine). The remainder (< 64 floats)
//! goes to the accumulators as up to three full vectors plus one masked load
//! (`vmovups` with a zeroing mask, which never touches — or faults on — the
//! masked-off lanes), so there is no scalar tail. Loads are unaligned.

use crate::check_len;
use core::arch::x86_64::*;

/// Whether the running CPU (and OS) supports AVX-512F (runtime detection; the
/// standard library caches the CPUID results).
#[inline]
pub fn is_available() -> bool {
    std::is_x86_feature_detected!("avx512f")
}

/// Proof that the CPU supports AVX-512F; its methods are the safe entry
/// points to this module's kernels.
///
/// ```
/// # #[cfg(target_arch = "x86_64")] {
/// use vn_distance::x86_64::avx512::Avx512F;
/// if let Some(k) = Avx512F::new() {
///     assert_eq!(k.dot(&[1.0, 2.0], &[3.0, 4.0]), 11.0);
/// }
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Avx512F(());

impl Avx512F {
    /// `Some` if the CPU supports AVX-512F.
    #[inline]
    pub fn new() -> Option<Self> {
        is_available().then_some(Avx512F(()))
    }

    /// Inner product. Panics if the lengths differ.
    #[inline]
    pub fn dot(self, a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: an `Avx512F` only exists if `is_available()` returned true.
        unsafe { dot_unchecked(a, b) }
    }

    /// Squared Euclidean distance. Panics if the lengths differ.
    #[inline]
    pub fn l2_squared(self, a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: an `Avx512F` only exists if `is_available()` returned true.
        unsafe { l2_squared_unchecked(a, b) }
    }

    /// Squared Euclidean norm.
    #[inline]
    pub fn norm_squared(self, a: &[f32]) -> f32 {
        // SAFETY: an `Avx512F` only exists if `is_available()` returned true.
        unsafe { norm_squared_unchecked(a) }
    }

    /// `(a·b, |a|², |b|²)` in one pass. Panics if the lengths differ.
    #[inline]
    pub fn dot_and_norms(self, a: &[f32], b: &[f32]) -> (f32, f32, f32) {
        // SAFETY: an `Avx512F` only exists if `is_available()` returned true.
        unsafe { dot_and_norms_unchecked(a, b) }
    }

    /// [`crate::l2_squared_to_many`] with this kernel set: bit for bit
    /// `l2_squared(v, query)` of each query.
    #[inline]
    pub fn l2_squared_to_many(self, v: &[f32], queries: &[f32], stride: usize, out: &mut [f32]) {
        // SAFETY: a token only exists if `is_available()` returned true.
        unsafe { l2_squared_to_many_unchecked(v, queries, stride, out) }
    }

    /// [`crate::dot_to_many`] with this kernel set: bit for bit `dot(v, query)`
    /// of each query.
    #[inline]
    pub fn dot_to_many(self, v: &[f32], queries: &[f32], stride: usize, out: &mut [f32]) {
        // SAFETY: a token only exists if `is_available()` returned true.
        unsafe { dot_to_many_unchecked(v, queries, stride, out) }
    }

    /// Cosine distance, same semantics as [`crate::cosine_distance`].
    /// Panics if the lengths differ.
    #[inline]
    pub fn cosine_distance(self, a: &[f32], b: &[f32]) -> f32 {
        let (ab, aa, bb) = self.dot_and_norms(a, b);
        crate::cosine_from_parts(ab, aa, bb, a, b)
    }
}

const LANES: usize = 16;

/// Loads 16 floats from `p`.
///
/// # Safety
///
/// `p..p + 16` must be readable; the CPU must support AVX-512F.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn load(p: *const f32) -> __m512 {
    // SAFETY: the caller guarantees 16 readable floats at `p`.
    unsafe { _mm512_loadu_ps(p) }
}

/// Loads the first `r` floats at `p`, zeroes the other lanes, and reads no
/// memory past `p + r`.
///
/// # Safety
///
/// `1 <= r <= 15`, `p..p + r` must be readable; the CPU must support AVX-512F.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn load_partial(p: *const f32, r: usize) -> __m512 {
    debug_assert!((1..LANES).contains(&r));
    let mask = ((1_u32 << r) - 1) as __mmask16;
    // SAFETY: masked-off lanes are neither read nor faulted on, and the
    // caller guarantees that the first r floats are readable.
    unsafe { _mm512_maskz_loadu_ps(mask, p) }
}

/// Inner product `Σ aᵢ·bᵢ`.
///
/// # Safety
///
/// The CPU must support AVX-512F (see [`is_available`]).
///
/// # Panics
///
/// Panics if `a.len() != b.len()`.
#[target_feature(enable = "avx512f")]
pub unsafe fn dot_unchecked(a: &[f32], b: &[f32]) -> f32 {
    check_len(a.len(), b.len());
    let n = a.len();
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut s0 = _mm512_setzero_ps();
    let mut s1 = _mm512_setzero_ps();
    let mut s2 = _mm512_setzero_ps();
    let mut s3 = _mm512_setzero_ps();
    let mut i = super::head_len::<64>(pa, pb, n);
    // SAFETY: all loads below are in bounds: both slices have n elements; the head
    // load reads the first i <= n of them (1 <= i < 16), every full load at
    // offset j satisfies j + 16 <= n, and the tail load reads the last
    // n - j < 16 elements, starting at j.
    unsafe {
        if i > 0 {
            s0 = _mm512_fmadd_ps(load_partial(pa, i), load_partial(pb, i), s0);
        }
        while i + 4 * LANES <= n {
            s0 = _mm512_fmadd_ps(load(pa.add(i)), load(pb.add(i)), s0);
            s1 = _mm512_fmadd_ps(load(pa.add(i + 16)), load(pb.add(i + 16)), s1);
            s2 = _mm512_fmadd_ps(load(pa.add(i + 32)), load(pb.add(i + 32)), s2);
            s3 = _mm512_fmadd_ps(load(pa.add(i + 48)), load(pb.add(i + 48)), s3);
            i += 4 * LANES;
        }
        let r = n - i;
        if r >= LANES {
            s0 = _mm512_fmadd_ps(load(pa.add(i)), load(pb.add(i)), s0);
        }
        if r >= 2 * LANES {
            s1 = _mm512_fmadd_ps(load(pa.add(i + 16)), load(pb.add(i + 16)), s1);
        }
        if r >= 3 * LANES {
            s2 = _mm512_fmadd_ps(load(pa.add(i + 32)), load(pb.add(i + 32)), s2);
        }
        let t = r % LANES;
        if t != 0 {
            let j = n - t;
            s3 = _mm512_fmadd_ps(load_partial(pa.add(j), t), load_partial(pb.add(j), t), s3);
        }
    }
    _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)))
}

/// Squared Euclidean distance `Σ (aᵢ − bᵢ)²`.
///
/// # Safety
///
/// The CPU must support AVX-512F (see [`is_available`]).
///
/// # Panics
///
/// Panics if `a.len() != b.len()`.
#[target_feature(enable = "avx512f")]
pub unsafe fn l2_squared_unchecked(a: &[f32], b: &[f32]) -> f32 {
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn step(x: __m512, y: __m512, acc: __m512) -> __m512 {
        let d = _mm512_sub_ps(x, y);
        _mm512_fmadd_ps(d, d, acc)
    }
    check_len(a.len(), b.len());
    let n = a.len();
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut s0 = _mm512_setzero_ps();
    let mut s1 = _mm512_setzero_ps();
    let mut s2 = _mm512_setzero_ps();
    let mut s3 = _mm512_setzero_ps();
    let mut i = super::head_len::<64>(pa, pb, n);
    // SAFETY: all loads below are in bounds, as in `dot_unchecked`.
    unsafe {
        if i > 0 {
            s0 = step(load_partial(pa, i), load_partial(pb, i), s0);
        }
        while i + 4 * LANES <= n {
            s0 = step(load(pa.add(i)), load(pb.add(i)), s0);
            s1 = step(load(pa.add(i + 16)), load(pb.add(i + 16)), s1);
            s2 = step(load(pa.add(i + 32)), load(pb.add(i + 32)), s2);
            s3 = step(load(pa.add(i + 48)), load(pb.add(i + 48)), s3);
            i += 4 * LANES;
        }
        let r = n - i;
        if r >= LANES {
            s0 = step(load(pa.add(i)), load(pb.add(i)), s0);
        }
        if r >= 2 * LANES {
            s1 = step(load(pa.add(i + 16)), load(pb.add(i + 16)), s1);
        }
        if r >= 3 * LANES {
            s2 = step(load(pa.add(i + 32)), load(pb.add(i + 32)), s2);
        }
        let t = r % LANES;
        if t != 0 {
            let j = n - t;
            s3 = step(load_partial(pa.add(j), t), load_partial(pb.add(j), t), s3);
        }
    }
    _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)))
}

/// Squared Euclidean norm `Σ aᵢ²`.
///
/// One load per FMA; eight accumulators (128 floats per iteration) cover the
/// FMA latency at up to two FMAs per cycle.
///
/// # Safety
///
/// The CPU must support AVX-512F (see [`is_available`]).
#[target_feature(enable = "avx512f")]
pub unsafe fn norm_squared_unchecked(a: &[f32]) -> f32 {
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn sq(x: __m512, acc: __m512) -> __m512 {
        _mm512_fmadd_ps(x, x, acc)
    }
    let n = a.len();
    let pa = a.as_ptr();
    let mut s = [_mm512_setzero_ps(); 8];
    let mut i = super::head_len::<64>(pa, pa, n);
    // SAFETY: all loads below are in bounds: the slice has n elements; the head
    // load reads the first i <= n of them (1 <= i < 16), every full load at
    // offset j satisfies j + 16 <= n, and the tail load reads the last
    // n - j < 16 elements, starting at j.
    unsafe {
        if i > 0 {
            s[0] = sq(load_partial(pa, i), s[0]);
        }
        while i + 8 * LANES <= n {
            for (k, acc) in s.iter_mut().enumerate() {
                *acc = sq(load(pa.add(i + k * LANES)), *acc);
            }
            i += 8 * LANES;
        }
        let r = n - i;
        // Up to 7 full vectors, each into its own accumulator.
        unrolled_below!(r / LANES, [0, 1, 2, 3, 4, 5, 6], |k| { s[k] = sq(load(pa.add(i + k * LANES)), s[k]) });
        let t = r % LANES;
        if t != 0 {
            s[7] = sq(load_partial(pa.add(n - t), t), s[7]);
        }
    }
    let a = _mm512_add_ps(_mm512_add_ps(s[0], s[1]), _mm512_add_ps(s[2], s[3]));
    let b = _mm512_add_ps(_mm512_add_ps(s[4], s[5]), _mm512_add_ps(s[6], s[7]));
    _mm512_reduce_add_ps(_mm512_add_ps(a, b))
}

/// `(a·b, |a|², |b|²)` in one pass (for the cosine distance), with twelve
/// accumulators.
///
/// # Safety
///
/// The CPU must support AVX-512F (see [`is_available`]).
///
/// # Panics
///
/// Panics if `a.len() != b.len()`.
#[target_feature(enable = "avx512f")]
pub unsafe fn dot_and_norms_unchecked(a: &[f32], b: &[f32]) -> (f32, f32, f32) {
    /// Accumulators for a·b, a·a, b·b.
    #[derive(Clone, Copy)]
    struct Acc(__m512, __m512, __m512);

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn step(x: __m512, y: __m512, s: Acc) -> Acc {
        Acc(_mm512_fmadd_ps(x, y, s.0), _mm512_fmadd_ps(x, x, s.1), _mm512_fmadd_ps(y, y, s.2))
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn add(s: Acc, t: Acc) -> Acc {
        Acc(_mm512_add_ps(s.0, t.0), _mm512_add_ps(s.1, t.1), _mm512_add_ps(s.2, t.2))
    }

    check_len(a.len(), b.len());
    let n = a.len();
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let z = _mm512_setzero_ps();
    let (mut s0, mut s1, mut s2, mut s3) = (Acc(z, z, z), Acc(z, z, z), Acc(z, z, z), Acc(z, z, z));
    let mut i = super::head_len::<64>(pa, pb, n);
    // SAFETY: all loads below are in bounds, as in `dot_unchecked`.
    unsafe {
        if i > 0 {
            s0 = step(load_partial(pa, i), load_partial(pb, i), s0);
        }
        while i + 4 * LANES <= n {
            s0 = step(load(pa.add(i)), load(pb.add(i)), s0);
            s1 = step(load(pa.add(i + 16)), load(pb.add(i + 16)), s1);
            s2 = step(load(pa.add(i + 32)), load(pb.add(i + 32)), s2);
            s3 = step(load(pa.add(i + 48)), load(pb.add(i + 48)), s3);
            i += 4 * LANES;
        }
        let r = n - i;
        if r >= LANES {
            s0 = step(load(pa.add(i)), load(pb.add(i)), s0);
        }
        if r >= 2 * LANES {
            s1 = step(load(pa.add(i + 16)), load(pb.add(i + 16)), s1);
        }
        if r >= 3 * LANES {
            s2 = step(load(pa.add(i + 32)), load(pb.add(i + 32)), s2);
        }
        let t = r % LANES;
        if t != 0 {
            let j = n - t;
            s3 = step(load_partial(pa.add(j), t), load_partial(pb.add(j), t), s3);
        }
    }
    let s = add(add(s0, s1), add(s2, s3));
    (_mm512_reduce_add_ps(s.0), _mm512_reduce_add_ps(s.1), _mm512_reduce_add_ps(s.2))
}

/// Distances of one vector to a group of `G` queries, `v` 64-byte aligned:
/// the row's registers are loaded once per 64 floats and reused for every
/// query. Each query's accumulation is the one [`l2_squared_unchecked`] /
/// [`dot_unchecked`] perform when one input is 64-byte aligned (empty head,
/// same accumulators, same order, same final reduction), so the results are
/// bit for bit those of the one-pair kernels.
///
/// # Safety
///
/// The CPU must support AVX-512F; `v` must hold `n` floats at a 64-byte
/// boundary and every `q[g]` must have `n` readable floats.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn group_to_many<const G: usize, const L2: bool>(v: *const f32, q: [*const f32; G], n: usize) -> [f32; G] {
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn step<const L2: bool>(x: __m512, y: __m512, acc: __m512) -> __m512 {
        if L2 {
            let d = _mm512_sub_ps(y, x);
            _mm512_fmadd_ps(d, d, acc)
        } else {
            _mm512_fmadd_ps(y, x, acc)
        }
    }
    let mut s = [[_mm512_setzero_ps(); 4]; G];
    let mut i = 0;
    // SAFETY: as in `dot_unchecked` with an empty head: every full load at
    // offset j satisfies j + 16 <= n, the tail load reads the last n - j < 16.
    unsafe {
        while i + 4 * LANES <= n {
            let x = [load(v.add(i)), load(v.add(i + 16)), load(v.add(i + 32)), load(v.add(i + 48))];
            for g in 0..G {
                for (k, xk) in x.iter().enumerate() {
                    s[g][k] = step::<L2>(*xk, load(q[g].add(i + k * LANES)), s[g][k]);
                }
            }
            i += 4 * LANES;
        }
        let r = n - i;
        unrolled_below!(r / LANES, [0, 1, 2], |k| {
            let x = load(v.add(i + k * LANES));
            for g in 0..G {
                s[g][k] = step::<L2>(x, load(q[g].add(i + k * LANES)), s[g][k]);
            }
        });
        let t = r % LANES;
        if t != 0 {
            let j = n - t;
            let x = load_partial(v.add(j), t);
            for g in 0..G {
                s[g][3] = step::<L2>(x, load_partial(q[g].add(j), t), s[g][3]);
            }
        }
    }
    let mut out = [0.0; G];
    for g in 0..G {
        let [s0, s1, s2, s3] = s[g];
        out[g] = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
    }
    out
}

/// Shared body of the one-to-many kernels: groups of four queries share the
/// loads of `v`; leftovers and a misaligned `v` go through the one-pair kernel.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn to_many<const L2: bool>(v: &[f32], queries: &[f32], stride: usize, out: &mut [f32]) {
    crate::check_many(v.len(), queries.len(), stride, out.len());
    let n = v.len();
    let one = |q: &[f32]| {
        // SAFETY: the caller's CPU supports AVX-512F.
        unsafe {
            if L2 {
                l2_squared_unchecked(v, q)
            } else {
                dot_unchecked(v, q)
            }
        }
    };
    let mut i = 0;
    if (v.as_ptr() as usize).is_multiple_of(64) && n > 0 {
        let base = queries.as_ptr();
        while i + 4 <= out.len() {
            // SAFETY: check_many verified that query i + 3 ends within `queries`; v is aligned.
            let d = unsafe {
                group_to_many::<4, L2>(
                    v.as_ptr(),
                    [
                        base.add(i * stride),
                        base.add((i + 1) * stride),
                        base.add((i + 2) * stride),
                        base.add((i + 3) * stride),
                    ],
                    n,
                )
            };
            out[i..i + 4].copy_from_slice(&d);
            i += 4;
        }
    }
    for (j, o) in out.iter_mut().enumerate().skip(i) {
        *o = one(&queries[j * stride..j * stride + n]);
    }
}

/// `out[i] = l2_squared(v, queries[i·stride .. i·stride + v.len()])`, bit for
/// bit, reading `v` once for every four queries.
///
/// # Safety
///
/// The CPU must support AVX-512F (see [`is_available`]).
///
/// # Panics
///
/// As [`crate::l2_squared_to_many`].
#[target_feature(enable = "avx512f")]
pub unsafe fn l2_squared_to_many_unchecked(v: &[f32], queries: &[f32], stride: usize, out: &mut [f32]) {
    // SAFETY: same CPU requirement.
    unsafe { to_many::<true>(v, queries, stride, out) }
}

/// `out[i] = dot(v, queries[i·stride .. i·stride + v.len()])`, bit for bit,
/// reading `v` once for every four queries.
///
/// # Safety
///
/// The CPU must support AVX-512F (see [`is_available`]).
///
/// # Panics
///
/// As [`crate::dot_to_many`].
#[target_feature(enable = "avx512f")]
pub unsafe fn dot_to_many_unchecked(v: &[f32], queries: &[f32], stride: usize, out: &mut [f32]) {
    // SAFETY: same CPU requirement.
    unsafe { to_many::<false>(v, queries, stride, out) }
}
