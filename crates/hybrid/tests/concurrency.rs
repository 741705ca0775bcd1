//! Many searches while a writer adds, deletes, rolls back, fails and commits: every hit's id
//! exists in a committed state the search could have seen; no error, no panic.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::{Rng, TempDir};
use vn_hybrid::{Document, Fault, Fusion, Query, SearchMode};

const DIMS: usize = 16;
const BATCHES: usize = 30;
const PER_BATCH: usize = 40;

fn batch_docs(b: usize, prefix: &str) -> Vec<Document> {
    let mut rng = Rng(1000 + b as u64);
    (0..PER_BATCH)
        .map(|i| {
            Document::new(format!("{prefix}{b}-{i}"), format!("common words batch{b} item{i} shared"))
                .with_vector(rng.vector(DIMS))
        })
        .collect()
}

/// When each id was alive: committed at `added`, deleted at `deleted` (exclusive).
#[derive(Debug, Clone, Copy)]
struct Life {
    added: u64,
    deleted: Option<u64>,
}

#[test]
fn concurrent_searches_only_return_committed_ids() {
    let dir = TempDir::new("concurrency");
    let system = Arc::new(dir.open(DIMS));
    let log: Arc<Mutex<HashMap<String, Life>>> = Arc::default();
    let done = Arc::new(AtomicBool::new(false));

    let writer = {
        let (system, log, done) = (system.clone(), log.clone(), done.clone());
        std::thread::spawn(move || {
            let mut rng = Rng(7);
            let mut alive: Vec<String> = Vec::new();
            for b in 0..BATCHES {
                // A batch that is never committed.
                if b % 7 == 3 {
                    system.add(&batch_docs(b, "rolled-")).unwrap();
                    system.rollback().unwrap();
                }
                let docs = batch_docs(b, "b");
                system.add(&docs).unwrap();
                let mut deleted = Vec::new();
                for _ in 0..5 {
                    if alive.len() > 10 {
                        deleted.push(alive.swap_remove(rng.below(alive.len())));
                    }
                }
                system.delete(&deleted).unwrap();
                if b % 9 == 5 {
                    // A commit that fails: nothing of it may ever be returned.
                    system.commit_with_fault(Fault::TextCommitError).unwrap_err();
                    for id in deleted {
                        alive.push(id);
                    }
                    continue;
                }
                let generation = system.commit().unwrap();
                let mut log = log.lock().unwrap();
                for d in &docs {
                    log.insert(d.id.clone(), Life { added: generation, deleted: None });
                    alive.push(d.id.clone());
                }
                for id in deleted {
                    log.get_mut(&id).unwrap().deleted = Some(generation);
                }
            }
            done.store(true, Ordering::Release);
        })
    };

    type Seen = Vec<(u64, u64, Vec<String>)>;
    let readers: Vec<std::thread::JoinHandle<(Seen, usize)>> = (0..3)
        .map(|t| {
            let (system, done) = (system.clone(), done.clone());
            std::thread::spawn(move || {
                let mut rng = Rng(500 + t);
                let mut session = system.session();
                let mut seen = Vec::new();
                let mut searches = 0;
                while !done.load(Ordering::Acquire) || searches < 50 {
                    // Query vectors of any batch, the one being committed included.
                    let b = rng.below(BATCHES);
                    let v = batch_docs(b, "b")[rng.below(PER_BATCH)].vector.clone();
                    let q = match rng.below(4) {
                        0 => Query { mode: SearchMode::Text, k: 20, ..Query::text(format!("batch{b} common")) },
                        1 => Query { mode: SearchMode::Vector, k: 20, vector: v, ..Query::default() },
                        2 => Query { k: 20, vector: v, ..Query::text(format!("item{} shared", rng.below(PER_BATCH))) },
                        _ => Query { k: 20, fusion: Fusion::Linear { alpha: 0.5 }, ..Query::text(format!("batch{b}")) },
                    };
                    let before = system.generation();
                    let hits = if t == 0 { session.search(&q) } else { system.search(&q) }.unwrap();
                    let after = system.generation();
                    seen.push((before, after, hits.into_iter().map(|h| h.id).collect()));
                    searches += 1;
                }
                (seen, searches)
            })
        })
        .collect();

    writer.join().unwrap();
    let log = log.lock().unwrap();
    let mut total = 0;
    let mut nonempty = 0;
    for r in readers {
        let (seen, searches) = r.join().unwrap();
        total += searches;
        for (before, after, hit_ids) in seen {
            nonempty += usize::from(!hit_ids.is_empty());
            for id in hit_ids {
                let life = log.get(&id).unwrap_or_else(|| panic!("{id} was never committed"));
                // Alive at some generation g with before <= g <= after.
                assert!(
                    life.added <= after,
                    "{id}: committed at {} but seen by a search ending at {after}",
                    life.added
                );
                assert!(
                    life.deleted.is_none_or(|d| d > before),
                    "{id}: deleted at {:?} but seen by a search starting at {before}",
                    life.deleted
                );
            }
        }
    }
    assert!(total >= 150 && nonempty > 0, "{total} searches, {nonempty} with hits");
    let stats = system.stats().unwrap();
    let alive = log.values().filter(|l| l.deleted.is_none()).count() as u64;
    assert_eq!(stats.doc_count, alive);
    assert_eq!(stats.vector_count as u64, alive);
    eprintln!("{total} searches during {BATCHES} batches; {} docs alive at generation {}", alive, stats.generation);
}

/// A vector search that overlaps a commit sees the vectors of that commit in the shared index
/// before they are published, and drops them; the leg must then ask the index for more, so the
/// answer still holds `k` hits of its snapshot (failed before: about half the searches that
/// overlapped a commit came back with k − 1 or k − 2 hits).
#[test]
fn vector_searches_overlapping_commits_answer_k_hits() {
    const K: usize = 20;
    let dir = TempDir::new("overlap");
    let system = Arc::new(
        vn_hybrid::UnifiedSearchSystem::open(vn_hybrid::OpenOptions {
            vector_index: Some(vn_index::IndexKind::Flat),
            ..dir.options(DIMS)
        })
        .unwrap(),
    );
    system.add(&batch_docs(0, "b")).unwrap();
    system.commit().unwrap();
    let searches = search_while_writing(
        &system,
        |system| {
            for b in 1..BATCHES {
                system.add(&batch_docs(b, "b")).unwrap();
                system.commit().unwrap();
            }
        },
        |rng| {
            // Queries near the vectors being committed: they rank first in the index.
            let b = rng.below(BATCHES);
            let v = batch_docs(b, "b")[rng.below(PER_BATCH)].vector.clone();
            Query { mode: SearchMode::Vector, k: K, vector: v, ..Query::default() }
        },
        |_, hits, which| assert_eq!(hits.len(), K, "{which} answered short"),
    );
    assert!(searches > 0);
}

/// Runs `write` on one thread while two readers search until it is done (reader 0 through a
/// session, reader 1 through the system), each query from `next_query` and each answer
/// checked by `check` (given a name for the search); returns the number of searches.
fn search_while_writing(
    system: &Arc<vn_hybrid::UnifiedSearchSystem>,
    write: impl FnOnce(&vn_hybrid::UnifiedSearchSystem) + Send + 'static,
    next_query: impl Fn(&mut Rng) -> Query + Send + Sync + 'static,
    check: impl Fn(&Query, &[vn_hybrid::Hit], String) + Send + Sync + 'static,
) -> usize {
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let (system, done) = (system.clone(), done.clone());
        std::thread::spawn(move || {
            write(&system);
            done.store(true, Ordering::Release);
        })
    };
    let (next_query, check) = (Arc::new(next_query), Arc::new(check));
    let readers: Vec<_> = (0..2)
        .map(|t| {
            let (system, done) = (system.clone(), done.clone());
            let (next_query, check) = (next_query.clone(), check.clone());
            std::thread::spawn(move || {
                let mut rng = Rng(900 + t);
                let mut session = system.session();
                let mut searches = 0;
                while !done.load(Ordering::Acquire) {
                    let q = next_query(&mut rng);
                    let hits = if t == 0 { session.search(&q) } else { system.search(&q) }.unwrap();
                    check(&q, &hits, format!("{:?} search {searches} of reader {t}", q.mode));
                    searches += 1;
                }
                searches
            })
        })
        .collect();
    writer.join().unwrap();
    readers.into_iter().map(|r| r.join().unwrap()).sum()
}

/// Text hits take their caller ids from the store's in-memory resolver; a commit that deletes
/// documents drops them from the resolver before its snapshot is published. A text search of
/// the previous snapshot overlapping it must still answer that snapshot's hits, each with its
/// id (read from the text index when the resolver no longer has it), never an empty one.
#[test]
fn text_searches_overlapping_deleting_commits_keep_every_id() {
    const K: usize = 25;
    let dir = TempDir::new("text-overlap");
    let system = Arc::new(dir.open(DIMS));
    for b in 0..BATCHES {
        system.add(&batch_docs(b, "t")).unwrap();
    }
    system.commit().unwrap();
    let searches = search_while_writing(
        &system,
        |system| {
            // Delete, commit, add back, commit: the "common" documents keep changing.
            for round in 0..BATCHES {
                let ids: Vec<String> = (0..PER_BATCH).map(|i| format!("t{round}-{i}")).collect();
                system.delete(&ids).unwrap();
                system.commit().unwrap();
                system.add(&batch_docs(round, "t")).unwrap();
                system.commit().unwrap();
            }
        },
        |rng| {
            let mode = if rng.below(2) == 0 { SearchMode::Text } else { SearchMode::Hybrid };
            Query { mode, k: K, text: Some("common shared".into()), ..Query::default() }
        },
        |_, hits, which| {
            assert_eq!(hits.len(), K, "{which} answered short");
            for h in hits {
                assert!(h.id.starts_with('t'), "{which}: a hit without its id: {h:?}");
            }
        },
    );
    assert!(searches > 0);
}
