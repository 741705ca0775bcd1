//! Searching the graph: greedy descent through the upper layers, a beam search on layer 0
//! (hnswlib's `searchBaseLayerST`), and exact scans for very selective filters.
//!
//! # Deleted nodes and filters
//!
//! Deleted (and filtered-out) nodes are traversed like any other but never enter the result
//! set, and the beam search does not stop before the result set holds `ef' = max(ef, k)`
//! entries (as hnswlib does with deletions or a filter), so `k` results come back whenever the
//! graph reaches `k` eligible nodes. Should it return fewer than `k` while more may exist, an
//! exact scan answers instead.
//!
//! # When a filter is answered exactly
//!
//! A filter that admits a fraction `p` of the nodes makes the beam search visit about
//! `ef'/p` nodes; scanning the filter's ids costs `|filter|` distances. The exact scan is used
//! when `|filter|² ≤ 8 · ef' · nodes` (nodes including tombstones), i.e. when the filter is at
//! most `sqrt(8 · ef' / nodes)` of the index: with `ef' = 64`, under 2 263 ids for 10 000
//! nodes, under 22 627 ids for a million. Its results are exact.

use std::collections::HashSet;

use super::beam::Cand;
use super::prefetch::{policy, prefetch_ahead};
use super::visited::Work;
use super::Graph;
use crate::distance::distance;
use crate::select::{sort_hits, TopK};
use crate::{Hit, SearchParams};

/// See the module docs: exact scan iff `|filter|² ≤ EXACT_FILTER_FACTOR · ef' · nodes`.
pub(crate) const EXACT_FILTER_FACTOR: u128 = 8;

impl Graph {
    /// Distance from `q` to node `n`'s vector.
    #[inline]
    pub(super) fn dist_to(&self, q: &[f32], n: u32) -> f32 {
        distance(self.metric, q, self.nodes.vector(n))
    }

    /// Greedy walk on `level` (beam width 1) from `cur` towards `q`.
    pub(super) fn greedy(&self, q: &[f32], cur: &mut u32, cur_dist: &mut f32, level: usize, nbrs: &mut Vec<u32>) {
        let cache = policy().cache;
        loop {
            let mut changed = false;
            self.nodes.read_links(*cur, level, nbrs);
            if let Some(&first) = nbrs.first() {
                self.nodes.prefetch_vector(first, cache);
            }
            for (j, &n) in nbrs.iter().enumerate() {
                if let Some(&next) = nbrs.get(j + 1) {
                    self.nodes.prefetch_vector(next, cache);
                }
                let d = self.dist_to(q, n);
                if d < *cur_dist {
                    *cur_dist = d;
                    *cur = n;
                    changed = true;
                }
            }
            if !changed {
                return;
            }
        }
    }

    /// Beam search on one layer from `ep` (hnswlib's `searchBaseLayerST`). Afterwards
    /// `work.sorted` holds up to `ef` nodes that `accept` admits, the closest ones found, closest
    /// first; every reached node is traversed regardless.
    ///
    /// Per expanded node: its list read in place from its level-0 block (a seqlock read), the
    /// unvisited neighbours marked and gathered, then their distances, each neighbour's vector
    /// prefetched (as [`policy`] says: how far ahead, into which cache) while the previous
    /// distances are computed.
    pub(super) fn search_layer(
        &self,
        q: &[f32],
        ep: Cand,
        level: usize,
        ef: usize,
        accept: impl Fn(u32) -> bool,
        work: &mut Work,
    ) {
        let Work { visited, beam, fresh, sorted, .. } = work;
        let policy = policy();
        let (ahead, cache) = (prefetch_ahead(self.dims, policy.lines), policy.cache);
        visited.reset(self.node_count());
        beam.reset(ef);
        visited.insert(ep.node);
        beam.insert(ep, accept(ep.node));
        while let Some(c) = beam.expand_next() {
            // The next node to expand is likely the closest left: fetch its links meanwhile.
            if let Some(next) = beam.peek_next() {
                self.nodes.prefetch_links(next);
            }
            // The neighbours not visited yet, now marked.
            self.nodes.read_links_kept(c.node, level, fresh, visited);
            for &n in fresh.iter().take(ahead) {
                self.nodes.prefetch_vector(n, cache);
            }
            for j in 0..fresh.len() {
                let n = fresh[j];
                if let Some(&next) = fresh.get(j + ahead) {
                    self.nodes.prefetch_vector(next, cache);
                }
                let d = self.dist_to(q, n);
                if beam.admits(d) {
                    beam.insert(Cand { dist: d, node: n }, accept(n));
                }
            }
        }
        sorted.clear();
        sorted.extend(beam.accepted());
    }

    /// Search with a checked, prepared (normalized under cosine) query.
    /// `ef_search` is the index's default beam width.
    pub(super) fn search_prepared(
        &self,
        q: &[f32],
        params: &SearchParams,
        ef_search: usize,
        work: &mut Work,
    ) -> Vec<Hit> {
        let k = params.k;
        let ef = params.ef.unwrap_or(ef_search).max(k);
        let filter = params.filter;
        if let Some(f) = filter {
            let f_len = f.len() as u128;
            if f_len * f_len <= EXACT_FILTER_FACTOR * ef as u128 * self.node_count() as u128 {
                return self.exact_filtered(q, k, f, work);
            }
        }
        let Some((ep, top_level)) = self.entry.load() else {
            return Vec::new();
        };
        let mut cur = ep;
        let mut cur_dist = self.dist_to(q, ep);
        for level in (1..=top_level).rev() {
            self.greedy(q, &mut cur, &mut cur_dist, level, &mut work.nbrs);
        }
        let accept = |n: u32| !self.nodes.is_deleted(n) && filter.is_none_or(|f| f.contains(&self.nodes.id(n)));
        self.search_layer(q, Cand { dist: cur_dist, node: cur }, 0, ef, accept, work);

        // Ids are looked up only for the k closest (and any tied with the k-th, which the
        // id order may let in): each lookup reads a node's block header.
        let cut = match work.sorted.get(k.saturating_sub(1)) {
            Some(kth) => k + work.sorted[k..].iter().take_while(|c| c.dist == kth.dist).count(),
            None => work.sorted.len(),
        };
        let mut hits: Vec<Hit> =
            work.sorted[..cut].iter().map(|c| Hit { id: self.nodes.id(c.node), distance: c.dist }).collect();
        sort_hits(&mut hits);
        hits.truncate(k);
        if hits.len() < k {
            // The graph reached fewer than k eligible nodes. Rare (mass deletion, a filter that
            // admits few live ids, unreachable nodes): answer exactly if that can give more.
            match filter {
                Some(f) => return self.exact_filtered(q, k, f, work),
                None if hits.len() < self.len() => return self.exact_all(q, k, work),
                None => {}
            }
        }
        hits
    }

    /// Exact top-k over the live nodes whose ids are in `filter`.
    fn exact_filtered(&self, q: &[f32], k: usize, filter: &HashSet<u64>, work: &mut Work) -> Vec<Hit> {
        work.nodes.clear();
        {
            let reg = self.registry.read();
            work.nodes.extend(filter.iter().filter_map(|id| reg.map.get(id).copied()));
        }
        let mut top = TopK::new(k);
        for &n in &work.nodes {
            if !self.nodes.is_deleted(n) {
                top.push(self.dist_to(q, n), self.nodes.id(n));
            }
        }
        top.into_hits()
    }

    /// Exact top-k over every live node.
    fn exact_all(&self, q: &[f32], k: usize, _work: &mut Work) -> Vec<Hit> {
        let mut top = TopK::new(k);
        for n in 0..self.node_count() as u32 {
            if !self.nodes.is_deleted(n) {
                top.push(self.dist_to(q, n), self.nodes.id(n));
            }
        }
        top.into_hits()
    }
}
