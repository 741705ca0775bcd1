//! Inserting a node (hnswlib's `addPoint` / `mutuallyConnectNewElement`), the neighbour
//! selection heuristic (`getNeighborsByHeuristic2`), and the graph section of the file.

use std::io::Write;

use super::graph::{Layout, NodeStore, MAX_LEVEL};
use super::visited::ScratchPool;
use super::visited::{Cand, Work};
use super::Graph;
use crate::distance::distance;
use crate::persist::{Encoder, TAG_GRPH};
use crate::{IndexError, Result};

/// A round of a batch add links at most 1/`ROUND_DIVISOR` of the nodes already in the graph.
const ROUND_DIVISOR: usize = 32;
/// Most nodes linked in one round of a batch add.
const MAX_ROUND: usize = 2048;

impl Graph {
    /// Links node `n` (slot filled, not yet reachable) into the graph.
    ///
    /// Phase 1 walks down from the entry point and, layer by layer from the node's top, picks
    /// its neighbours and stores its own lists. Phase 2 adds the back-links, which is what
    /// makes the node reachable: by then all its own lists are complete.
    pub(super) fn insert(&self, n: u32, work: &mut Work) {
        let level = self.nodes.get(n).level as usize;
        let q = self.nodes.vector(n);

        let mut entry = self.entry.load();
        let mut _raising = None;
        if entry.is_none_or(|(_, top)| level > top) {
            let guard = self.global.lock();
            entry = self.entry.load();
            match entry {
                None => {
                    // The first node: nothing to link to.
                    self.entry.store(n, level);
                    return;
                }
                Some((_, top)) if level > top => _raising = Some(guard),
                Some(_) => drop(guard),
            }
        }
        let Some((ep, top)) = entry else { unreachable!("set above") };
        let upto = self.choose_links(n, ep, top, work);

        for l in 0..=upto {
            for i in 0..work.per_level[l].len() {
                let neighbour = work.per_level[l][i];
                self.connect(neighbour, n, q, l, work);
            }
        }

        if _raising.is_some() {
            self.entry.store(n, level);
        }
    }

    /// Phase 1 of an insert from the entry point `(ep, top)`: picks node `n`'s neighbours on
    /// layers `0 ..= min(level, top)` (returned), stores them as its own lists and leaves them
    /// in `work.per_level`. Reads the graph, changes nothing but `n`'s own (unreachable) lists.
    pub(super) fn choose_links(&self, n: u32, ep: u32, top: usize, work: &mut Work) -> usize {
        let level = self.nodes.get(n).level as usize;
        let q = self.nodes.vector(n);
        let mut cur = ep;
        let mut cur_dist = self.dist_to(q, ep);
        for l in (level + 1..=top).rev() {
            self.greedy(q, &mut cur, &mut cur_dist, l, &mut work.nbrs);
        }

        let upto = level.min(top);
        if work.per_level.len() < upto + 1 {
            work.per_level.resize_with(upto + 1, Vec::new);
        }
        for l in (0..=upto).rev() {
            let ep = Cand { dist: cur_dist, node: cur };
            self.search_layer(q, ep, l, self.params.ef_construction, |x: u32| !self.nodes.is_deleted(x), work);
            if work.top.is_empty() {
                // Every node reached is deleted: link to tombstones rather than to nothing.
                self.search_layer(q, ep, l, self.params.ef_construction, |_: u32| true, work);
            }
            work.sorted.clear();
            work.sorted.extend(work.top.drain());
            work.sorted.sort_unstable();
            self.select_neighbours(&work.sorted, self.params.m, &mut work.selected);
            let chosen = &mut work.per_level[l];
            chosen.clear();
            chosen.extend(work.selected.iter().map(|c| c.node));
            self.nodes.lock(n).set(l, chosen);
            // The closest candidate enters the next layer down.
            cur = work.sorted[0].node;
            cur_dist = work.sorted[0].dist;
        }
        upto
    }

    /// Links nodes `start..end` (filled, not yet reachable) in rounds, so that the graph
    /// depends only on the data, the parameters and the seed, never on how threads interleave.
    ///
    /// A round of nodes first picks each node's neighbours in parallel against the graph as it
    /// was when the round began (phase 1 reads only nodes linked in earlier rounds; the
    /// round's own nodes are not reachable yet), then adds the back-links grouped by target
    /// node, each target's in a fixed order (by layer, then new node) and the targets in
    /// parallel, and finally raises the entry point in node order. Rounds grow with the graph
    /// (1/32 of the nodes linked so far, at most 2 048), so early nodes still see each other.
    /// The result is the same on one thread or many.
    pub(super) fn link_rounds(&self, start: u32, end: u32, pool: &ScratchPool) {
        use rayon::prelude::*;
        let mut a = start;
        while a < end {
            let Some((ep, top)) = self.entry.load() else {
                let _guard = self.global.lock();
                if self.entry.load().is_none() {
                    self.entry.store(a, self.nodes.get(a).level as usize);
                    a += 1;
                }
                continue;
            };
            let round = (a as usize / ROUND_DIVISOR).clamp(1, MAX_ROUND) as u32;
            let b = end.min(a + round);
            let plans: Vec<Vec<Vec<u32>>> = (a..b)
                .into_par_iter()
                .map_init(
                    || pool.take(),
                    |scratch, n| {
                        let upto = self.choose_links(n, ep, top, &mut scratch.work);
                        scratch.work.per_level[..=upto].to_vec()
                    },
                )
                .collect();
            let mut backlinks: Vec<(u32, u8, u32)> = Vec::new();
            for (n, plan) in (a..b).zip(&plans) {
                for (l, list) in plan.iter().enumerate() {
                    backlinks.extend(list.iter().map(|&to| (to, l as u8, n)));
                }
            }
            backlinks.sort_unstable();
            let groups: Vec<&[(u32, u8, u32)]> = backlinks.chunk_by(|x, y| x.0 == y.0).collect();
            groups.into_par_iter().for_each_init(
                || pool.take(),
                |scratch, group| {
                    for &(to, l, new) in group {
                        self.connect(to, new, self.nodes.vector(new), l as usize, &mut scratch.work);
                    }
                },
            );
            for n in a..b {
                let level = self.nodes.get(n).level as usize;
                if self.entry.load().is_none_or(|(_, top)| level > top) {
                    let _guard = self.global.lock();
                    if self.entry.load().is_none_or(|(_, top)| level > top) {
                        self.entry.store(n, level);
                    }
                }
            }
            a = b;
        }
    }

    /// Adds `new` to `to`'s list on `level`; a full list is re-chosen by the heuristic among
    /// its members and `new`.
    fn connect(&self, to: u32, new: u32, new_vec: &[f32], level: usize, work: &mut Work) {
        let cap = self.layout.cap(level);
        let base = self.nodes.vector(to);
        // Held while the distances are computed, as hnswlib: no other writer may change the list
        // in between. Readers are only held up during the stores themselves.
        let mut links = self.nodes.lock(to);
        links.read(level, &mut work.nbrs);
        if work.nbrs.contains(&new) {
            return;
        }
        if work.nbrs.len() < cap {
            links.push(level, new);
            return;
        }
        work.sorted.clear();
        work.sorted.push(Cand { dist: distance(self.metric, base, new_vec), node: new });
        for &x in &work.nbrs {
            work.sorted.push(Cand { dist: self.dist_to(base, x), node: x });
        }
        work.sorted.sort_unstable();
        self.select_neighbours(&work.sorted, cap, &mut work.selected);
        work.nbrs.clear();
        work.nbrs.extend(work.selected.iter().map(|c| c.node));
        links.set(level, &work.nbrs);
    }

    /// The HNSW paper's heuristic: walk the candidates closest first and keep one only if it is
    /// closer to the base than to every one kept so far; at most `m`. Fewer than `m`
    /// candidates are all kept (as hnswlib).
    fn select_neighbours(&self, sorted: &[Cand], m: usize, out: &mut Vec<Cand>) {
        out.clear();
        if sorted.len() < m {
            out.extend_from_slice(sorted);
            return;
        }
        for &c in sorted {
            if out.len() >= m {
                break;
            }
            let v = self.nodes.vector(c.node);
            let diverse = out.iter().all(|kept| self.dist_to(v, kept.node) >= c.dist);
            if diverse {
                out.push(c);
            }
        }
    }
}

/// Writes the "GRPH" section: per node its level, then per layer the count and neighbours.
pub(super) fn write_graph<W: Write>(e: &mut Encoder<W>, nodes: &NodeStore, n: u32) -> std::io::Result<()> {
    // Writers are excluded during a save, so the lists are stable between the two passes.
    let mut list = Vec::new();
    let mut len = 0u64;
    for i in 0..n {
        len += 1;
        for l in 0..=nodes.get(i).level as usize {
            nodes.read_links(i, l, &mut list);
            len += 4 + 4 * list.len() as u64;
        }
    }
    e.section(TAG_GRPH, len)?;
    for i in 0..n {
        let level = nodes.get(i).level;
        e.u8(level)?;
        for l in 0..=level as usize {
            nodes.read_links(i, l, &mut list);
            e.u32(list.len() as u32)?;
            for &x in &list {
                e.u32(x)?;
            }
        }
    }
    Ok(())
}

/// Parses a "GRPH" payload of `n` nodes into `(level, links)` per node, checking every level,
/// count and neighbour (in range, and present on that layer).
pub(super) fn parse_graph(bytes: &[u8], n: usize, layout: Layout) -> Result<Vec<(u8, Box<[u32]>)>> {
    let corrupt = |msg: String| IndexError::Corrupt(format!("graph section: {msg}"));
    let mut pos = 0usize;
    let mut take = |len: usize| -> Result<&[u8]> {
        let end = pos.checked_add(len).filter(|&e| e <= bytes.len()).ok_or_else(|| corrupt("too short".into()))?;
        let s = &bytes[pos..end];
        pos = end;
        Ok(s)
    };
    let u32_at = |b: &[u8]| u32::from_le_bytes(b.try_into().expect("4 bytes"));
    let mut out: Vec<(u8, Box<[u32]>)> = Vec::with_capacity(n.min(bytes.len()));
    for i in 0..n {
        let level = take(1)?[0];
        if level as usize > MAX_LEVEL {
            return Err(corrupt(format!("node {i} has level {level}")));
        }
        let mut links = layout.empty(level as usize);
        for l in 0..=level as usize {
            let count = u32_at(take(4)?) as usize;
            if count > layout.cap(l) {
                return Err(corrupt(format!("node {i} has {count} neighbours on layer {l}")));
            }
            let raw = take(4 * count)?;
            let items: Vec<u32> = raw.chunks_exact(4).map(u32_at).collect();
            if let Some(&bad) = items.iter().find(|&&x| x as usize >= n) {
                return Err(corrupt(format!("node {i} links to node {bad}, which does not exist")));
            }
            layout.set(&mut links, l, items.into_iter());
        }
        out.push((level, links));
    }
    if pos != bytes.len() {
        return Err(corrupt(format!("{} bytes left over", bytes.len() - pos)));
    }
    // A neighbour on layer l must itself have layer l (searches read its list there).
    for (i, (level, links)) in out.iter().enumerate() {
        for l in 0..=*level as usize {
            if let Some(&bad) = layout.list(links, l).iter().find(|&&x| (out[x as usize].0 as usize) < l) {
                return Err(corrupt(format!("node {i} links on layer {l} to node {bad}, which is not on it")));
            }
        }
    }
    Ok(out)
}
