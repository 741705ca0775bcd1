//! Exact top-k selection with a bounded max-heap, ties broken by id.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::Hit;

/// A result candidate ordered by `(distance, id)`; `total_cmp` keeps the order total even for
/// an overflowed (infinite or NaN) distance.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Keyed {
    pub(crate) distance: f32,
    pub(crate) id: u64,
}

impl Ord for Keyed {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        self.distance.total_cmp(&other.distance).then(self.id.cmp(&other.id))
    }
}
impl PartialOrd for Keyed {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Keyed {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Keyed {}

/// Keeps the `k` smallest `(distance, id)` pairs pushed into it.
pub(crate) struct TopK {
    k: usize,
    heap: BinaryHeap<Keyed>,
}

impl TopK {
    pub(crate) fn new(k: usize) -> Self {
        TopK { k, heap: BinaryHeap::with_capacity(k.min(4096) + 1) }
    }

    #[inline]
    pub(crate) fn push(&mut self, distance: f32, id: u64) {
        let item = Keyed { distance, id };
        if self.heap.len() < self.k {
            self.heap.push(item);
        } else if let Some(mut worst) = self.heap.peek_mut() {
            if item < *worst {
                *worst = item;
            }
        }
    }

    /// A distance above this cannot enter (`+inf` until `k` are kept): callers may skip `push`
    /// for `d > bound()`. A NaN distance or bound never compares greater, so it goes through
    /// `push`, which orders it by `total_cmp`.
    #[inline]
    pub(crate) fn bound(&self) -> f32 {
        if self.heap.len() < self.k {
            f32::INFINITY
        } else {
            self.heap.peek().map_or(f32::INFINITY, |w| w.distance)
        }
    }

    /// The kept hits, closest first.
    pub(crate) fn into_hits(self) -> Vec<Hit> {
        self.heap.into_sorted_vec().into_iter().map(|c| Hit { id: c.id, distance: c.distance }).collect()
    }
}

/// Sorts hits by distance ascending, ties by id.
pub(crate) fn sort_hits(hits: &mut [Hit]) {
    hits.sort_unstable_by(|a, b| a.distance.total_cmp(&b.distance).then(a.id.cmp(&b.id)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_k_smallest_with_id_ties() {
        let mut t = TopK::new(3);
        for (d, id) in [(1.0, 9), (0.5, 4), (1.0, 2), (2.0, 1), (1.0, 5), (0.1, 7)] {
            t.push(d, id);
        }
        let ids: Vec<u64> = t.into_hits().iter().map(|h| h.id).collect();
        assert_eq!(ids, [7, 4, 2]);
    }
}
