//! x86_64 kernels. Each submodule has `is_available()`, a zero-sized token
//! type whose constructor returns `None` when the CPU lacks the instruction
//! set and whose methods are safe, and the underlying
//! `unsafe fn …_unchecked` kernels.

pub mod avx2;
pub mod avx512;

/// Number of leading elements (at most `n`) to handle with one masked load
/// before the main loop so that the main loop's loads from one input are
/// `ALIGN`-byte aligned and never split across cache lines. Unaligned vector
/// loads that cross a 64-byte line cost two L1 accesses: on a Zen 5 core,
/// AVX-512 `dot` runs at ~8 elements/cycle when both inputs sit 16 bytes past
/// a line and ~15 when both are aligned.
///
/// Of the two inputs, the one with the smaller offset past an `ALIGN`
/// boundary is aligned (inputs sharing an offset, e.g. rows of one arena,
/// both end up aligned). Choosing by offset rather than by argument position
/// keeps `f(a, b)` and `f(b, a)` bit-for-bit identical. The summation order,
/// and so the last bits of a result, depend on that offset.
#[inline(always)]
pub(crate) fn head_len<const ALIGN: usize>(a: *const f32, b: *const f32, n: usize) -> usize {
    let off = (a as usize % ALIGN).min(b as usize % ALIGN);
    // `f32` slices are 4-byte aligned, so this is a whole number of elements.
    (((ALIGN - off) % ALIGN) / 4).min(n)
}
