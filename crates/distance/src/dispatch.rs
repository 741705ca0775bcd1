//! Chooses the kernels once per process.
//!
//! x86_64: memchr's `unsafe_ifunc!` pattern. Each function has a static
//! `AtomicPtr` that starts out pointing at a `detect` function; the first call
//! runs CPU detection, stores the chosen kernel in the pointer and calls it.
//! Later calls are one relaxed load plus an indirect call. Relaxed is enough:
//! every value ever stored is a valid kernel for this CPU, and a racing thread
//! that still sees `detect` merely detects again and stores the same value.
//!
//! aarch64 (with NEON, which every standard aarch64 target enables): NEON is
//! known at compile time, so the NEON kernels are called directly.
//!
//! Elsewhere (wasm, x86, riscv, …): the portable [`crate::scalar`] kernels.

/// A kernel set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(dead_code)] // which variants are built depends on the target
pub(crate) enum Isa {
    Avx512F,
    Avx2Fma,
    Neon,
    Scalar,
}

impl Isa {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Isa::Avx512F => "avx512f",
            Isa::Avx2Fma => "avx2+fma",
            Isa::Neon => "neon",
            Isa::Scalar => "scalar",
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod imp {
    use super::Isa;
    use crate::{scalar, x86_64::avx2, x86_64::avx512};
    use core::sync::atomic::{AtomicPtr, Ordering};

    /// Best kernel set for this CPU. `is_x86_feature_detected!` caches the
    /// CPUID results, so this is cheap, but it is only called from `detect`.
    pub(crate) fn best_isa() -> Isa {
        if avx512::is_available() {
            Isa::Avx512F
        } else if avx2::is_available() {
            Isa::Avx2Fma
        } else {
            Isa::Scalar
        }
    }

    /// Defines `fn $name(args) -> ret` dispatching through a cached pointer to
    /// `$avx512`, `$avx2` or `$scalar`, which must all have the type
    /// `unsafe fn(args) -> ret` and whose only safety requirement is that the
    /// CPU supports their instruction set.
    macro_rules! ifunc {
        (
            fn $name:ident($($arg:ident: $argty:ty),*) -> $ret:ty;
            avx512: $avx512:path,
            avx2: $avx2:path,
            scalar: $scalar:path $(,)?
        ) => {
            #[inline(always)]
            pub(crate) fn $name($($arg: $argty),*) -> $ret {
                type Kernel = unsafe fn($($argty),*) -> $ret;
                static FN: AtomicPtr<()> = AtomicPtr::new(detect as *mut ());

                #[cold]
                unsafe fn detect($($arg: $argty),*) -> $ret {
                    let kernel: Kernel = match best_isa() {
                        Isa::Avx512F => $avx512,
                        Isa::Avx2Fma => $avx2,
                        _ => $scalar,
                    };
                    FN.store(kernel as *mut (), Ordering::Relaxed);
                    // SAFETY: best_isa() only returns an instruction set that
                    // runtime detection found on this CPU, which is the
                    // kernel's only requirement.
                    unsafe { kernel($($arg),*) }
                }

                let ptr = FN.load(Ordering::Relaxed);
                // SAFETY: FN only ever holds `detect` or a kernel chosen by
                // `detect`, each a `Kernel` cast to `*mut ()`, so transmuting
                // back restores the original function pointer type; a chosen
                // kernel's CPU requirement was verified by `detect`.
                unsafe { core::mem::transmute::<*mut (), Kernel>(ptr)($($arg),*) }
            }
        };
    }

    ifunc! {
        fn dot(a: &[f32], b: &[f32]) -> f32;
        avx512: avx512::dot_unchecked,
        avx2: avx2::dot_unchecked,
        scalar: scalar::dot,
    }

    ifunc! {
        fn l2_squared(a: &[f32], b: &[f32]) -> f32;
        avx512: avx512::l2_squared_unchecked,
        avx2: avx2::l2_squared_unchecked,
        scalar: scalar::l2_squared,
    }

    ifunc! {
        fn norm_squared(a: &[f32]) -> f32;
        avx512: avx512::norm_squared_unchecked,
        avx2: avx2::norm_squared_unchecked,
        scalar: scalar::norm_squared,
    }

    ifunc! {
        fn l2_squared_to_many(v: &[f32], queries: &[f32], stride: usize, out: &mut [f32]) -> ();
        avx512: avx512::l2_squared_to_many_unchecked,
        avx2: avx2::l2_squared_to_many_unchecked,
        scalar: scalar::l2_squared_to_many,
    }

    ifunc! {
        fn dot_to_many(v: &[f32], queries: &[f32], stride: usize, out: &mut [f32]) -> ();
        avx512: avx512::dot_to_many_unchecked,
        avx2: avx2::dot_to_many_unchecked,
        scalar: scalar::dot_to_many,
    }

    ifunc! {
        fn dot_and_norms(a: &[f32], b: &[f32]) -> (f32, f32, f32);
        avx512: avx512::dot_and_norms_unchecked,
        avx2: avx2::dot_and_norms_unchecked,
        scalar: scalar::dot_and_norms,
    }
}

#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
mod imp {
    use super::Isa;
    pub(crate) use crate::aarch64::neon::{dot, dot_and_norms, l2_squared, norm_squared};

    pub(crate) fn l2_squared_to_many(v: &[f32], queries: &[f32], stride: usize, out: &mut [f32]) {
        crate::check_many(v.len(), queries.len(), stride, out.len());
        for (i, o) in out.iter_mut().enumerate() {
            *o = l2_squared(v, &queries[i * stride..i * stride + v.len()]);
        }
    }

    pub(crate) fn dot_to_many(v: &[f32], queries: &[f32], stride: usize, out: &mut [f32]) {
        crate::check_many(v.len(), queries.len(), stride, out.len());
        for (i, o) in out.iter_mut().enumerate() {
            *o = dot(v, &queries[i * stride..i * stride + v.len()]);
        }
    }

    pub(crate) fn best_isa() -> Isa {
        Isa::Neon
    }
}

#[cfg(not(any(target_arch = "x86_64", all(target_arch = "aarch64", target_feature = "neon"))))]
mod imp {
    use super::Isa;
    pub(crate) use crate::scalar::{dot, dot_and_norms, dot_to_many, l2_squared, l2_squared_to_many, norm_squared};

    pub(crate) fn best_isa() -> Isa {
        Isa::Scalar
    }
}

pub(crate) use imp::{best_isa, dot, dot_and_norms, dot_to_many, l2_squared, l2_squared_to_many, norm_squared};
