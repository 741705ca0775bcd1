//! How the layer search prefetches neighbour vectors, per core: how far ahead, into which cache.
//!
//! The walk waits on memory, not on arithmetic: the more of the next neighbours' vectors are in
//! flight while one distance is computed, the more of the latency overlaps, up to what the core
//! can track. A prefetch into L1 holds one of L1's few miss buffers until its line arrives; where
//! those run out, the prefetches themselves stall the core, and pulling the lines into L2 instead
//! (the kernel then reads them from L2) overlaps more. Where that happens differs between cores.
//! Measured (QPS at one ef on one graph, the policies alternated in one process):
//!
//! - Zen 5 (AMD family 1Ah), into L1: 100k × 128 synthetic at ef 32, 24 lines ahead 29.4k, 56
//!   lines 36.3k, 96 lines 36.6–38.1k (docs/benchmarks/hnsw-layout.md); real word vectors, 49
//!   lines 24–35k against 96 lines 36–37k (docs/benchmarks/hnsw-real.md, session 7). Into L2 was
//!   not measured there.
//! - Zen 4 (AMD family 19h), real word vectors (docs/benchmarks/hnsw-real.md, session 8): into
//!   L2, 96 lines ahead gave 1.49–1.63× the QPS of into L1 (ef 32 and 96) and a 6–23 % cheaper
//!   build; into L2, 64 lines were 5 % slower than 96 and 128–256 no different; into L1, 48
//!   lines beat 96 by 1.16–1.19×, still well short of L2.
//!
//! So: 96 lines ahead everywhere, into L1 on AMD from Zen 5 on (measured best there), into L2
//! elsewhere (measured on Zen 4 only). [`LINES_ENV`] and [`CACHE_ENV`] override the choice for a
//! core not measured here.

use std::sync::OnceLock;

use super::graph::Cache;

/// Cache lines of neighbour vectors kept in flight ahead of the distance being computed.
const LINES: usize = 96;
/// First AMD family measured best with prefetches into L1 (Zen 5).
const AMD_L1_FAMILY: u32 = 0x1a;

/// Environment variable that overrides the line budget (an integer, 1–1024), read once per
/// process.
pub(crate) const LINES_ENV: &str = "VECTOR_NATIVE_PREFETCH_LINES";
/// Environment variable that overrides the cache prefetched into (`l1` or `l2`), read once per
/// process.
pub(crate) const CACHE_ENV: &str = "VECTOR_NATIVE_PREFETCH_CACHE";

/// How far ahead, and into which cache, neighbour vectors are prefetched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Policy {
    /// Cache lines in flight ahead of the distance being computed.
    pub(super) lines: usize,
    pub(super) cache: Cache,
}

/// This process's policy: this CPU's default, with any valid override applied.
pub(super) fn policy() -> Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    *POLICY.get_or_init(|| {
        let (amd, family) = cpu_family();
        let default = default_policy(amd, family);
        Policy {
            lines: parse_lines(std::env::var(LINES_ENV).ok().as_deref()).unwrap_or(default.lines),
            cache: parse_cache(std::env::var(CACHE_ENV).ok().as_deref()).unwrap_or(default.cache),
        }
    })
}

/// Neighbours whose vectors are prefetched ahead, for vectors of `dims` floats and a budget of
/// `lines`: in lines rather than vectors so that long vectors do not flood the cache (d = 768
/// gets 2 vectors ahead).
pub(super) fn prefetch_ahead(dims: usize, lines: usize) -> usize {
    (lines / (dims * 4).div_ceil(64)).clamp(2, 16)
}

/// The default policy for a CPU: into L1 on AMD from Zen 5 on, into L2 elsewhere.
fn default_policy(amd: bool, family: u32) -> Policy {
    let cache = if amd && family >= AMD_L1_FAMILY { Cache::L1 } else { Cache::L2 };
    Policy { lines: LINES, cache }
}

/// A valid line budget, or `None` (unset, not an integer, or out of 1–1024: ignored).
fn parse_lines(value: Option<&str>) -> Option<usize> {
    value?.trim().parse().ok().filter(|&n| (1..=1024).contains(&n))
}

/// A valid cache name (`l1`, `l2`, any case), or `None` (ignored).
fn parse_cache(value: Option<&str>) -> Option<Cache> {
    match value?.trim().to_ascii_lowercase().as_str() {
        "l1" => Some(Cache::L1),
        "l2" => Some(Cache::L2),
        _ => None,
    }
}

/// Whether the CPU is AMD's, and its family (base plus extended, as the vendors define it).
#[cfg(target_arch = "x86_64")]
fn cpu_family() -> (bool, u32) {
    use std::arch::x86_64::__cpuid;
    // CPUID is in the x86_64 baseline, so `__cpuid` is safe to call on every x86_64 CPU; older
    // compilers declare it `unsafe`.
    #[allow(unused_unsafe)]
    // SAFETY: see above: the instruction exists on every x86_64 CPU and only reads identification.
    let (vendor, signature) = unsafe { (__cpuid(0), __cpuid(1)) };
    // "AuthenticAMD" in EBX, EDX, ECX.
    let amd = (vendor.ebx, vendor.edx, vendor.ecx) == (0x6874_7541, 0x6974_6e65, 0x444d_4163);
    (amd, family_of(signature.eax))
}

/// Elsewhere the prefetch is a no-op: any policy will do.
#[cfg(not(target_arch = "x86_64"))]
fn cpu_family() -> (bool, u32) {
    (false, 0)
}

/// The family in a CPUID leaf 1 signature: the base family, plus the extended one when the
/// base is 0xF.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
fn family_of(eax: u32) -> u32 {
    let base = (eax >> 8) & 0xf;
    if base == 0xf {
        base + ((eax >> 20) & 0xff)
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_follows_vector_length() {
        assert_eq!(prefetch_ahead(128, 96), 12, "8 lines per vector");
        assert_eq!(prefetch_ahead(100, 96), 13, "7 lines per vector");
        assert_eq!(prefetch_ahead(768, 96), 2, "48 lines per vector");
        assert_eq!(prefetch_ahead(3072, 96), 2, "never fewer than 2");
        assert_eq!(prefetch_ahead(1, 96), 16, "never more than 16");
    }

    #[test]
    fn into_l1_only_on_amd_from_zen_5() {
        assert_eq!(default_policy(true, 0x1a).cache, Cache::L1, "Zen 5");
        assert_eq!(default_policy(true, 0x19).cache, Cache::L2, "Zen 3 and 4");
        assert_eq!(default_policy(false, 0x1a).cache, Cache::L2, "family numbers are per vendor");
        assert_eq!(default_policy(false, 6).cache, Cache::L2, "Intel");
        assert_eq!(default_policy(false, 6).lines, LINES);
    }

    #[test]
    fn family_from_signature() {
        assert_eq!(family_of(0x00a1_0f11), 0x19, "Zen 4 (Genoa): base 0xF + extended 0xA");
        assert_eq!(family_of(0x00b0_0f21), 0x1a, "Zen 5 (Turin): base 0xF + extended 0xB");
        assert_eq!(family_of(0x0008_06f8), 6, "Intel: base family 6, extended ignored");
    }

    #[test]
    fn overrides_must_be_valid() {
        assert_eq!(parse_lines(Some("64")), Some(64));
        assert_eq!(parse_lines(Some(" 24 ")), Some(24));
        for bad in [None, Some(""), Some("0"), Some("-3"), Some("deep"), Some("2000")] {
            assert_eq!(parse_lines(bad), None, "{bad:?}");
        }
        assert_eq!(parse_cache(Some("L2")), Some(Cache::L2));
        assert_eq!(parse_cache(Some("l1")), Some(Cache::L1));
        for bad in [None, Some(""), Some("l3"), Some("ram")] {
            assert_eq!(parse_cache(bad), None, "{bad:?}");
        }
    }
}
