//! A fast hasher for `u64` ids (the caller's ids are keys of the id → slot maps).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Map from caller id to internal slot.
pub(crate) type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;

/// Hashes one `u64` with a multiply-xorshift mix (as in splitmix64's finalizer): cheap and
/// well distributed for sequential ids, unlike the identity hash.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    #[inline]
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        // Only reached for keys other than u64 (never, in this crate); fold them in anyway.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Bytes allocated by `map`: its buckets, control bytes and trailing group, from its capacity
/// and the SwissTable layout of std's `HashMap` (hashbrown): a capacity of `c ≥ 8` means
/// `c · 8/7` buckets, fewer means `c + 1`; each bucket holds one `(u64, V)` and one control byte,
/// plus 16 control bytes at the end. 0 when nothing is allocated.
pub(crate) fn map_bytes<V>(map: &IdMap<V>) -> u64 {
    let cap = map.capacity();
    if cap == 0 {
        return 0;
    }
    let buckets = if cap < 8 { (cap + 1).next_power_of_two() } else { (cap * 8 / 7).next_power_of_two() };
    let data = (buckets * std::mem::size_of::<(u64, V)>()).next_multiple_of(16);
    (data + buckets + 16) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_bytes_covers_the_entries() {
        let mut map: IdMap<u32> = IdMap::default();
        assert_eq!(map_bytes(&map), 0);
        map.insert(1, 1);
        assert!(map_bytes(&map) > 16);
        for i in 0..1000 {
            map.insert(i, i as u32);
        }
        let bytes = map_bytes(&map);
        assert!((1000 * 17..=4 * 1000 * 17).contains(&bytes), "{bytes}");
    }
}
