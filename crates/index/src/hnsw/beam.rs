//! The beam of the layer search: one array of candidates sorted by distance, in place of
//! hnswlib's two heaps (candidates to expand, closest first; results, farthest on top).
//!
//! Why one sorted array: a candidate farther than the `ef`-th accepted node can never enter the
//! results and is never expanded (the walk stops at the first such candidate), so both heaps
//! only ever matter up to that node, and the two can share one array of about `ef` slots. An
//! insertion is a binary search and a short move of contiguous slots; the next node to expand
//! is the first slot not yet expanded; the results come out sorted. Measured on the real word
//! vectors (docs/benchmarks/hnsw-real.md): the heaps' sift-downs were about 10 % of a search at
//! ef 128.
//!
//! Non-accepted nodes (deleted, filtered out) are kept and expanded like the others but do not
//! count towards `ef`, as in hnswlib's filtered search.

use std::cmp::Ordering;

/// A node with its distance to the query; ordered by `(distance, node)`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cand {
    pub(crate) dist: f32,
    pub(crate) node: u32,
}

impl Ord for Cand {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        self.dist.total_cmp(&other.dist).then(self.node.cmp(&other.node))
    }
}
impl PartialOrd for Cand {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Cand {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Cand {}

#[derive(Clone, Copy, Debug)]
struct Slot {
    cand: Cand,
    expanded: bool,
    accepted: bool,
}

/// Candidates of one layer search, sorted by `(distance, node)`. Invariant: once `ef` nodes are
/// accepted, exactly `ef` are and the last slot is the `ef`-th accepted one (nothing beyond it
/// could still matter).
#[derive(Debug, Default)]
pub(crate) struct Beam {
    slots: Vec<Slot>,
    /// Every slot before this one is expanded.
    next: usize,
    accepted: usize,
    ef: usize,
}

impl Beam {
    pub(crate) fn new() -> Self {
        Beam::default()
    }

    /// Empties the beam for a search keeping the `ef` closest accepted nodes.
    pub(crate) fn reset(&mut self, ef: usize) {
        self.slots.clear();
        self.next = 0;
        self.accepted = 0;
        self.ef = ef.max(1);
    }

    /// Whether a node at `dist` would enter: fewer than `ef` accepted, or closer than the
    /// `ef`-th (hnswlib's `top_candidates.size() < ef || lowerBound > dist`).
    #[inline]
    pub(crate) fn admits(&self, dist: f32) -> bool {
        self.accepted < self.ef || self.slots.last().is_some_and(|s| dist < s.cand.dist)
    }

    /// Adds a node the beam [`admits`](Self::admits); `accepted` nodes count towards `ef`.
    #[inline]
    pub(crate) fn insert(&mut self, cand: Cand, accepted: bool) {
        let at = self.slots.partition_point(|s| s.cand < cand);
        self.slots.insert(at, Slot { cand, expanded: false, accepted });
        self.next = self.next.min(at);
        if accepted {
            self.accepted += 1;
            if self.accepted >= self.ef {
                self.trim();
            }
        }
    }

    /// Restores the invariant: drops slots from the end until `ef` are accepted and the last
    /// one is.
    fn trim(&mut self) {
        while self.accepted > self.ef || self.slots.last().is_some_and(|s| !s.accepted) {
            if self.slots.pop().is_some_and(|s| s.accepted) {
                self.accepted -= 1;
            }
        }
        self.next = self.next.min(self.slots.len());
    }

    /// The closest node not yet expanded, now marked expanded.
    #[inline]
    pub(crate) fn expand_next(&mut self) -> Option<Cand> {
        while self.slots.get(self.next).is_some_and(|s| s.expanded) {
            self.next += 1;
        }
        let slot = self.slots.get_mut(self.next)?;
        slot.expanded = true;
        self.next += 1;
        Some(slot.cand)
    }

    /// The node [`expand_next`](Self::expand_next) would return, as things stand.
    #[inline]
    pub(crate) fn peek_next(&self) -> Option<u32> {
        self.slots[self.next.min(self.slots.len())..].iter().find(|s| !s.expanded).map(|s| s.cand.node)
    }

    /// The accepted nodes, closest first (at most `ef`).
    pub(crate) fn accepted(&self) -> impl Iterator<Item = Cand> + '_ {
        self.slots.iter().filter(|s| s.accepted).map(|s| s.cand)
    }
}

#[cfg(test)]
mod tests {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    use proptest::prelude::*;

    use super::*;

    /// hnswlib's two heaps, as the search used them: the reference the beam must equal.
    struct Heaps {
        cand: BinaryHeap<Reverse<Cand>>,
        top: BinaryHeap<Cand>,
        ef: usize,
    }

    impl Heaps {
        fn admits(&self, dist: f32) -> bool {
            self.top.len() < self.ef || self.top.peek().is_some_and(|w| dist < w.dist)
        }
        fn insert(&mut self, c: Cand, accepted: bool) {
            self.cand.push(Reverse(c));
            if accepted {
                self.top.push(c);
                if self.top.len() > self.ef {
                    self.top.pop();
                }
            }
        }
        fn expand_next(&mut self) -> Option<Cand> {
            let Reverse(c) = self.cand.pop()?;
            let stop = self.top.len() >= self.ef && self.top.peek().is_some_and(|w| c > *w);
            (!stop).then_some(c)
        }
    }

    proptest! {
        /// Any sequence of admissions and expansions (distinct distances, as tie-free as real
        /// distances are) gives the heaps' expansion order and results.
        #[test]
        fn beam_equals_the_two_heaps(
            ef in 1usize..12,
            ops in prop::collection::vec((0u32..1000, any::<bool>(), 0u8..4), 1..200),
        ) {
            let mut beam = Beam::new();
            beam.reset(ef);
            let mut heaps = Heaps { cand: BinaryHeap::new(), top: BinaryHeap::new(), ef };
            let mut seen = std::collections::HashSet::new();
            let mut open = true;
            for (node, accepted, op) in ops {
                if op == 0 {
                    let (b, h) = (beam.expand_next(), heaps.expand_next());
                    prop_assert_eq!(b.map(|c| c.node), h.map(|c| c.node));
                    if h.is_none() {
                        open = false;
                        break;
                    }
                } else if seen.insert(node) {
                    let c = Cand { dist: node as f32 * 0.5, node };
                    prop_assert_eq!(beam.admits(c.dist), heaps.admits(c.dist));
                    if heaps.admits(c.dist) {
                        beam.insert(c, accepted);
                        heaps.insert(c, accepted);
                    }
                }
            }
            let mut want: Vec<Cand> = heaps.top.into_vec();
            want.sort();
            let got: Vec<Cand> = beam.accepted().collect();
            prop_assert_eq!(got.iter().map(|c| c.node).collect::<Vec<_>>(), want.iter().map(|c| c.node).collect::<Vec<_>>());
            prop_assert!(open || beam.peek_next().is_none());
        }
    }

    #[test]
    fn expands_closest_first_and_keeps_ef_accepted() {
        let mut beam = Beam::new();
        beam.reset(2);
        let c = |node: u32| Cand { dist: node as f32, node };
        beam.insert(c(5), true);
        assert_eq!(beam.expand_next().map(|c| c.node), Some(5));
        beam.insert(c(3), false);
        beam.insert(c(7), true);
        assert!(beam.admits(6.0) && !beam.admits(7.5), "full: the bound is the 2nd accepted (7)");
        beam.insert(c(1), true);
        assert_eq!(beam.accepted().map(|c| c.node).collect::<Vec<_>>(), vec![1, 5]);
        assert_eq!(beam.peek_next(), Some(1));
        assert_eq!(beam.expand_next().map(|c| c.node), Some(1));
        assert_eq!(beam.expand_next().map(|c| c.node), Some(3), "non-accepted nodes are expanded too");
        assert!(beam.expand_next().is_none(), "7 fell out with the bound");
    }
}
