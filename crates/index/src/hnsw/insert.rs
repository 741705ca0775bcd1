//! Inserting a node (hnswlib's `addPoint` / `mutuallyConnectNewElement`), the neighbour
//! selection heuristic (`getNeighborsByHeuristic2`), and the graph section of the file.

use std::io::Write;

use super::beam::Cand;
use super::graph::{Layout, NodeStore, MAX_LEVEL};
use super::visited::ScratchPool;
use super::visited::Work;
use super::Graph;
use crate::distance::distance;
use crate::persist::{Encoder, TAG_GRPH};
use crate::{IndexError, Result};

/// A round of a batch add links at most 1/`ROUND_DIVISOR` of the nodes already in the graph.
/// Smaller rounds let more of a node's true neighbours be linked before it (what a row-by-row
/// build does). On the real word vectors (ordered by frequency), over five seeds, rounds of
/// 1/128 and at most 512 give mean recall@10 0.9611 / 0.9901 at ef 32 / 96 where 1/32 and 2 048
/// gave 0.9605 / 0.9897 (hnswlib 0.9606 / 0.9903): small, but at ef 96 the curve is so flat that
/// it is worth ~7 % of QPS at recall 0.99. On i.i.d. synthetic data it costs ~0.0015 at ef 32
/// (four seeds), on sentence vectors nothing measurable; build time unchanged within the noise
/// on 1 and 2 threads (docs/benchmarks/hnsw-real.md). A round still splits into hundreds of
/// searches per thread.
const ROUND_DIVISOR: usize = 128;
/// Most nodes linked in one round of a batch add.
const MAX_ROUND: usize = 512;

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
        let upto = self.choose_links(n, ep, top, work, None);

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
    /// With `keep`, also leaves there per layer the closest [`MATE_KEYS`] candidates and the
    /// chosen ones with their distances, for [`link_rounds`](Self::link_rounds) to find the
    /// round's own nodes through and to choose again among.
    pub(super) fn choose_links(
        &self,
        n: u32,
        ep: u32,
        top: usize,
        work: &mut Work,
        mut keep: Option<&mut Vec<Kept>>,
    ) -> usize {
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
        if let Some(k) = keep.as_deref_mut() {
            k.clear();
            k.resize_with(upto + 1, Default::default);
        }
        for l in (0..=upto).rev() {
            let ep = Cand { dist: cur_dist, node: cur };
            self.search_layer(q, ep, l, self.params.ef_construction, |x: u32| !self.nodes.is_deleted(x), work);
            if work.sorted.is_empty() {
                // Every node reached is deleted: link to tombstones rather than to nothing.
                self.search_layer(q, ep, l, self.params.ef_construction, |_: u32| true, work);
            }
            self.select_neighbours(&work.sorted, self.params.m, &mut work.selected);
            if let Some(k) = keep.as_deref_mut() {
                let pool = &work.sorted[..work.sorted.len().min(KEPT_POOL)];
                let beyond = pool.last().copied();
                let mut kept: Vec<Cand> = pool.to_vec();
                kept.extend(work.selected.iter().filter(|c| beyond.is_some_and(|b| **c > b)));
                k[l] = Kept {
                    keys: work.sorted.iter().take(MATE_KEYS).map(|c| c.node).collect(),
                    selected: work.selected.clone(),
                    pool: kept,
                };
            }
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
    /// (1/128 of the nodes linked so far, at most 512), so early nodes still see each other.
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
            // Phase 1: each node's choice against the graph as it was before the round.
            let found: Vec<Vec<Kept>> = (a..b)
                .into_par_iter()
                .map_init(
                    || pool.take(),
                    |scratch, n| {
                        let mut keep = Vec::new();
                        self.choose_links(n, ep, top, &mut scratch.work, Some(&mut keep));
                        keep
                    },
                )
                .collect();
            // Phase 2: each node chooses again among its choice and the round's earlier nodes
            // that share one of its closest candidates (as if they had been linked before it,
            // one at a time). Reads only phase 1's results: no dependence on threads.
            let mates = RoundMates::new(&found);
            let plans: Vec<Vec<Vec<u32>>> = found
                .par_iter()
                .enumerate()
                .map_init(
                    || (Vec::new(), Vec::new(), Vec::new(), Vec::new()),
                    |(near, extra, merged, out), (r, layers)| {
                        let n = a + r as u32;
                        let q = self.nodes.vector(n);
                        let mut plan = Vec::with_capacity(layers.len());
                        for (l, kept) in layers.iter().enumerate() {
                            let mut list: Vec<u32> = kept.selected.iter().map(|c| c.node).collect();
                            mates.near(r as u32, l, &kept.keys, near);
                            if !near.is_empty() {
                                extra.clear();
                                extra.extend(near.iter().map(|&j| Cand { dist: self.dist_to(q, a + j), node: a + j }));
                                extra.sort_unstable();
                                // A full choice is only changed by a round-mate closer than its last.
                                let full = kept.selected.len() >= self.params.m;
                                if !full || kept.selected.last().is_some_and(|last| extra[0] < *last) {
                                    merge_sorted(&kept.pool, extra, merged);
                                    self.select_neighbours(merged, self.params.m, out);
                                    list.clear();
                                    list.extend(out.iter().map(|c| c.node));
                                    self.nodes.lock(n).set(l, &list);
                                }
                            }
                            plan.push(list);
                        }
                        plan
                    },
                )
                .collect();
            drop(found);
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

/// Closest candidates of a node (per layer) through which its round-mates are found.
const MATE_KEYS: usize = 16;
/// Round-mates found through one key: the latest before the node (the data's order is
/// often its locality).
const MATES_PER_KEY: usize = 8;
/// Candidates of phase 1 kept for phase 2 to choose again among (with the chosen ones).
const KEPT_POOL: usize = 128;
/// Most round-mates one node considers per layer (those sharing the most keys first).
const MAX_MATES: usize = 48;

/// What phase 1 of a round leaves per node and layer.
#[derive(Default)]
pub(super) struct Kept {
    /// The closest [`MATE_KEYS`] candidates.
    keys: Vec<u32>,
    /// The chosen neighbours, closest first.
    selected: Vec<Cand>,
    /// The closest [`KEPT_POOL`] candidates and the chosen ones beyond them, sorted: what
    /// phase 2 chooses again among, with the round-mates.
    pool: Vec<Cand>,
}

/// Which nodes of a round share a close candidate: per layer, `(candidate, round index)` pairs
/// sorted, built from each node's first [`MATE_KEYS`] candidates of phase 1.
struct RoundMates {
    by_key: Vec<Vec<(u32, u32)>>,
}

impl RoundMates {
    fn new(found: &[Vec<Kept>]) -> Self {
        let layers = found.iter().map(Vec::len).max().unwrap_or(0);
        let mut by_key: Vec<Vec<(u32, u32)>> = vec![Vec::new(); layers];
        for (r, node) in found.iter().enumerate() {
            for (l, kept) in node.iter().enumerate() {
                by_key[l].extend(kept.keys.iter().map(|&k| (k, r as u32)));
            }
        }
        for pairs in &mut by_key {
            pairs.sort_unstable();
        }
        RoundMates { by_key }
    }

    /// Round indexes before `r` that share one of one of `keys` on layer `l` (per key
    /// the [`MATES_PER_KEY`] latest), those sharing the most first (ties: the later node
    /// first), at most [`MAX_MATES`], into `out`.
    fn near(&self, r: u32, l: usize, keys: &[u32], out: &mut Vec<u32>) {
        out.clear();
        let pairs = &self.by_key[l];
        for &key in keys {
            // Pairs are sorted by (key, round index): this key's mates before `r` end at `to`.
            let to = pairs.partition_point(|&p| p < (key, r));
            out.extend(pairs[..to].iter().rev().take(MATES_PER_KEY).take_while(|&&(k, _)| k == key).map(|&(_, j)| j));
        }
        if out.len() <= 1 {
            return;
        }
        out.sort_unstable();
        let mut w = 0;
        let mut i = 0;
        // Pack (count, index) into one u64 per distinct mate, sort descending, keep the first.
        let mut counted: [u64; MATE_KEYS * MATES_PER_KEY] = [0; MATE_KEYS * MATES_PER_KEY];
        while i < out.len() {
            let j = out[i];
            let run = out[i..].iter().take_while(|&&x| x == j).count();
            counted[w] = (run as u64) << 32 | u64::from(j);
            w += 1;
            i += run;
        }
        let counted = &mut counted[..w];
        counted.sort_unstable_by(|x, y| y.cmp(x));
        out.clear();
        out.extend(counted.iter().take(MAX_MATES).map(|&x| x as u32));
    }
}

/// Merges two sorted candidate lists into `out` (sorted).
fn merge_sorted(x: &[Cand], y: &[Cand], out: &mut Vec<Cand>) {
    out.clear();
    out.reserve(x.len() + y.len());
    let (mut i, mut j) = (0, 0);
    while i < x.len() && j < y.len() {
        if y[j] < x[i] {
            out.push(y[j]);
            j += 1;
        } else {
            out.push(x[i]);
            i += 1;
        }
    }
    out.extend_from_slice(&x[i..]);
    out.extend_from_slice(&y[j..]);
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
