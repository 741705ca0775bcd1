//! Search behaviour: the three modes, fusion on real legs, reopening, Unicode, deletes,
//! sessions, and argument checking.

mod common;

use common::{corpus, ids, Rng, TempDir};
use vn_hybrid::fusion::{linear, rrf, LegHit};
use vn_hybrid::{Document, Fusion, IndexKind, Metric, OpenOptions, Query, SearchMode, UnifiedSearchSystem};

const DIMS: usize = 16;

fn text_query(text: &str, k: usize) -> Query {
    Query { mode: SearchMode::Text, k, ..Query::text(text) }
}

#[test]
fn rare_term_returns_its_document_first_in_text_mode() {
    let dir = TempDir::new("rare");
    let s = dir.open(DIMS);
    let mut docs = corpus(300, DIMS, true, 1);
    docs[137].text.push_str(" zeppelin");
    s.add(&docs).unwrap();
    s.commit().unwrap();
    let hits = s.search(&text_query("zeppelin", 5)).unwrap();
    assert_eq!(ids(&hits), ["doc-137"]);
    let h = &hits[0];
    assert_eq!((h.text_rank, h.vector_rank, h.vector_score), (Some(1), None, None));
    assert_eq!(h.score, h.text_score.unwrap());
    // With common words around it, the rare word still decides.
    let hits = s.search(&text_query("solar wind zeppelin grid", 5)).unwrap();
    assert_eq!(hits[0].id, "doc-137");
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn an_exact_stored_vector_returns_its_document_first_in_vector_mode() {
    let dir = TempDir::new("exact");
    for (metric, sub) in [(Metric::Cosine, "c"), (Metric::L2, "l"), (Metric::Dot, "d")] {
        let sub = TempDir::new(&format!("exact-{sub}"));
        let s = sub.open_with(DIMS, metric);
        let docs = corpus(500, DIMS, true, 2);
        s.add(&docs).unwrap();
        s.commit().unwrap();
        if metric == Metric::Dot {
            continue; // under Dot the nearest is the largest projection, not necessarily itself
        }
        for i in [0, 77, 499] {
            let hits = s.search(&Query { k: 3, ..Query::vector(docs[i].vector.clone().unwrap()) }).unwrap();
            assert_eq!(hits[0].id, format!("doc-{i}"), "{metric:?}");
            assert_eq!(hits[0].vector_rank, Some(1));
            assert!((hits[0].score - 1.0).abs() < 1e-5, "{metric:?} {}", hits[0].score); // cos 1; 1/(1+0)
            assert!(hits[1].score <= hits[0].score);
        }
    }
    drop(dir);
}

#[test]
fn hybrid_fuses_the_two_legs_as_the_fusion_functions_say() {
    let dir = TempDir::new("fuse");
    let s = dir.open(DIMS);
    s.add(&corpus(400, DIMS, true, 3)).unwrap();
    s.commit().unwrap();
    let mut rng = Rng(99);
    let qv = rng.vector(DIMS);
    let text = "solar battery garden";
    let legs = |mode| {
        s.search(&Query { mode, k: 50, text: Some(text.into()), vector: Some(qv.clone()), ..Query::default() })
            .unwrap()
            .into_iter()
            .map(|h| LegHit::new(h.id, h.score))
            .collect::<Vec<_>>()
    };
    let (t, v) = (legs(SearchMode::Text), legs(SearchMode::Vector));
    assert_eq!((t.len(), v.len()), (50, 50));
    for fusion in [Fusion::Rrf { k: 60 }, Fusion::Linear { alpha: 0.3 }] {
        let q = Query { k: 10, fusion, text: Some(text.into()), vector: Some(qv.clone()), ..Query::default() };
        let hits = s.search(&q).unwrap();
        let want = match fusion {
            Fusion::Rrf { k } => rrf(&t, &v, k),
            Fusion::Linear { alpha } => linear(&t, &v, alpha),
        };
        assert_eq!(hits, want[..10].to_vec(), "{fusion:?}");
        assert!(hits.iter().any(|h| h.text_rank.is_some() && h.vector_rank.is_some()));
    }
}

#[test]
fn text_only_hybrid_query_embeds_the_query_for_the_vector_leg() {
    let dir = TempDir::new("embedded");
    let s = dir.open(64);
    s.add(&[
        Document::new("solar", "solar panel subsidies for homeowners"),
        Document::new("castle", "the history of medieval castle architecture"),
        Document::new("wind", "wind farm subsidies"),
    ])
    .unwrap();
    s.commit().unwrap();
    let hits = s.search(&Query::text("subsidies for solar panel")).unwrap();
    assert_eq!(hits[0].id, "solar");
    assert_eq!((hits[0].text_rank, hits[0].vector_rank), (Some(1), Some(1)));
    // Vector mode with only text embeds it too.
    let v = s.search(&Query { mode: SearchMode::Vector, ..Query::text("medieval castle") }).unwrap();
    assert_eq!(v[0].id, "castle");
    assert!(v[0].text_rank.is_none());
    // A text with no tokens: nothing to match in either leg.
    assert!(s.search(&Query::text("?!")).unwrap().is_empty());
}

#[test]
fn reopen_after_commit_returns_the_same_results() {
    let dir = TempDir::new("reopen");
    let docs = corpus(400, DIMS, true, 4);
    let queries: Vec<Query> = vec![
        text_query("river forest", 10),
        Query { k: 10, ..Query::vector(docs[5].vector.clone().unwrap()) },
        Query { k: 10, vector: docs[9].vector.clone(), ..Query::text("music film") },
        Query { k: 10, fusion: Fusion::Linear { alpha: 0.6 }, ..Query::text("bread kitchen") },
    ];
    let before: Vec<_> = {
        let s = dir.open(DIMS);
        s.add(&docs).unwrap();
        s.commit().unwrap();
        s.delete(&["doc-3", "doc-4"]).unwrap();
        s.commit().unwrap();
        let r = queries.iter().map(|q| s.search(q).unwrap()).collect();
        s.close().unwrap();
        r
    };
    let s = dir.open(DIMS);
    let report = s.open_report();
    assert!(!report.created);
    assert_eq!(report.text_generation, 2);
    assert_eq!(report.vector_generation, Some(2));
    assert_eq!(report.repaired, None);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let after: Vec<_> = queries.iter().map(|q| s.search(q).unwrap()).collect();
    assert_eq!(before, after);
    assert_eq!(s.stats().unwrap().doc_count, 398);
    assert_eq!(s.get("doc-7").unwrap().unwrap(), docs[7]);
}

#[test]
fn unicode_text_is_findable() {
    let dir = TempDir::new("unicode");
    let s = dir.open(32);
    s.add(&[
        Document::new("de", "Die Überraschung war groß"),
        Document::new("ja", "東京 の 天気"),
        Document::new("fr", "Le garçon mange une crêpe"),
        Document::new("en", "plain english words"),
    ])
    .unwrap();
    s.commit().unwrap();
    for (q, id) in [("Überraschung", "de"), ("überraschung", "de"), ("東京", "ja"), ("CRÊPE", "fr")] {
        let hits = s.search(&text_query(q, 3)).unwrap();
        assert_eq!(ids(&hits), [id], "{q}");
        let hybrid = s.search(&Query::text(q)).unwrap();
        assert_eq!(hybrid[0].id, id, "{q}");
    }
}

#[test]
fn deletes_vanish_from_every_mode_after_commit() {
    let dir = TempDir::new("delete");
    let s = dir.open(DIMS);
    let mut docs = corpus(200, DIMS, true, 5);
    docs[42].text.push_str(" xylophone");
    s.add(&docs).unwrap();
    s.commit().unwrap();
    let v42 = docs[42].vector.clone().unwrap();
    let by_vector = Query { k: 5, ..Query::vector(v42.clone()) };
    let hybrid = Query { k: 5, vector: Some(v42.clone()), ..Query::text("xylophone") };
    assert_eq!(s.search(&by_vector).unwrap()[0].id, "doc-42");

    assert_eq!(s.delete(&["doc-42", "doc-42"]).unwrap(), 1);
    // Pending: still visible.
    assert_eq!(s.search(&by_vector).unwrap()[0].id, "doc-42");
    assert_eq!(s.stats().unwrap().pending_deletes, 1);
    s.commit().unwrap();
    for q in [text_query("xylophone", 5), by_vector.clone(), hybrid.clone()] {
        assert!(!ids(&s.search(&q).unwrap()).contains(&"doc-42"), "{q:?}");
    }
    assert!(s.get("doc-42").unwrap().is_none());
    assert_eq!(s.stats().unwrap().doc_count, 199);
    assert_eq!(s.stats().unwrap().vector_count, 199);

    // Unknown ids delete nothing.
    let err = s.delete(&["doc-1", "doc-42"]).unwrap_err();
    assert_eq!(err.code(), "ERR_UNKNOWN_ID");
    assert_eq!(s.stats().unwrap().pending_deletes, 0);

    // The id can be used again, and the new document is found.
    s.add(&[Document::new("doc-42", "a new xylophone").with_vector(v42.clone())]).unwrap();
    s.commit().unwrap();
    assert_eq!(s.search(&by_vector).unwrap()[0].id, "doc-42");
    assert_eq!(s.search(&text_query("xylophone", 5)).unwrap()[0].id, "doc-42");

    // Deleting a pending add just drops it.
    s.add(&[Document::new("tmp", "temporary trombone")]).unwrap();
    s.delete(&["tmp"]).unwrap();
    s.commit().unwrap();
    assert!(s.search(&text_query("trombone", 5)).unwrap().is_empty());
    // Delete then re-add in one commit replaces the document.
    s.delete(&["doc-42"]).unwrap();
    s.add(&[Document::new("doc-42", "replaced by a harpsichord")]).unwrap();
    s.commit().unwrap();
    assert!(s.search(&text_query("xylophone", 5)).unwrap().is_empty());
    assert_eq!(ids(&s.search(&text_query("harpsichord", 5)).unwrap()), ["doc-42"]);
}

#[test]
fn duplicate_ids_are_rejected_and_nothing_is_added() {
    let dir = TempDir::new("dups");
    let s = dir.open(DIMS);
    s.add(&[Document::new("a", "alpha")]).unwrap();
    let err = s.add(&[Document::new("b", "beta"), Document::new("a", "again")]).unwrap_err();
    assert_eq!(err.code(), "ERR_DUPLICATE_ID");
    assert!(err.to_string().contains("pending"), "{err}");
    let err = s.add(&[Document::new("c", "gamma"), Document::new("c", "gamma")]).unwrap_err();
    assert_eq!(err.code(), "ERR_DUPLICATE_ID");
    assert!(err.to_string().contains("twice"), "{err}");
    assert_eq!(s.stats().unwrap().pending_adds, 1);
    s.commit().unwrap();
    let err = s.add(&[Document::new("a", "alpha again")]).unwrap_err();
    assert_eq!(err.code(), "ERR_DUPLICATE_ID");
    assert!(err.to_string().contains("already in the store"), "{err}");
    assert_eq!(s.stats().unwrap().doc_count, 1);
}

#[test]
fn bad_documents_and_queries_are_refused_with_codes() {
    let dir = TempDir::new("codes");
    let s = dir.open(4);
    let code = |d: Document| s.add(&[Document::new("ok", "fine"), d]).unwrap_err().code();
    assert_eq!(code(Document::new("", "text")), "ERR_INVALID_ARGUMENT");
    assert_eq!(code(Document::new("x", "   ")), "ERR_INVALID_ARGUMENT");
    assert_eq!(code(Document::new("x", "t").with_vector(vec![1.0; 3])), "ERR_DIMENSION_MISMATCH");
    assert_eq!(code(Document::new("x", "t").with_vector(vec![1.0, f32::NAN, 0.0, 0.0])), "ERR_INVALID_ARGUMENT");
    assert_eq!(code(Document::new("x", "t").with_vector(vec![0.0; 4])), "ERR_INVALID_ARGUMENT");
    assert_eq!(code(Document::new("x", "t").with_metadata("{not json")), "ERR_INVALID_ARGUMENT");
    assert_eq!(s.stats().unwrap().pending_adds, 0);

    let q = |q: Query| s.search(&q).unwrap_err().code();
    assert_eq!(q(Query::text("  ")), "ERR_INVALID_ARGUMENT");
    assert_eq!(q(Query { k: 0, ..Query::text("a") }), "ERR_INVALID_ARGUMENT");
    assert_eq!(q(Query { k: 10_001, ..Query::text("a") }), "ERR_INVALID_ARGUMENT");
    assert_eq!(q(Query::vector(vec![1.0; 5])), "ERR_DIMENSION_MISMATCH");
    assert_eq!(q(Query::vector(vec![f32::INFINITY, 0.0, 0.0, 0.0])), "ERR_INVALID_ARGUMENT");
    assert_eq!(q(Query { mode: SearchMode::Text, ..Query::vector(vec![1.0; 4]) }), "ERR_INVALID_ARGUMENT");
    assert_eq!(q(Query { ef: Some(0), ..Query::vector(vec![1.0; 4]) }), "ERR_INVALID_ARGUMENT");

    s.close().unwrap();
    s.close().unwrap();
    assert_eq!(s.search(&Query::text("a")).unwrap_err().code(), "ERR_CLOSED");
    assert_eq!(s.add(&[Document::new("y", "t")]).unwrap_err().code(), "ERR_CLOSED");
    assert_eq!(s.commit().unwrap_err().code(), "ERR_CLOSED");
    assert_eq!(s.stats().unwrap_err().code(), "ERR_CLOSED");
}

#[test]
fn without_an_embedder_documents_need_vectors_for_the_vector_leg() {
    let dir = TempDir::new("no-embedder");
    let s = UnifiedSearchSystem::open(vn_hybrid::OpenOptions {
        embedder: vn_hybrid::EmbedderConfig::None,
        ..dir.options(4)
    })
    .unwrap();
    s.add(&[Document::new("t", "text only"), Document::new("v", "with vector").with_vector(vec![1.0, 0.0, 0.0, 0.0])])
        .unwrap();
    s.commit().unwrap();
    assert_eq!(s.stats().unwrap().vector_count, 1);
    assert_eq!(s.search(&Query::text("text")).unwrap_err().code(), "ERR_INVALID_ARGUMENT");
    assert_eq!(ids(&s.search(&text_query("text", 5)).unwrap()), ["t"]);
    let both = s.search(&Query { vector: Some(vec![0.0, 1.0, 0.0, 0.0]), ..Query::text("only") }).unwrap();
    assert_eq!(ids(&both), ["t", "v"]); // t: text rank 1, v: vector rank 1; RRF tie, by id
}

#[test]
fn sessions_search_like_the_system_and_see_commits() {
    let dir = TempDir::new("session");
    let s = dir.open(DIMS);
    let docs = corpus(300, DIMS, true, 6);
    s.add(&docs[..200]).unwrap();
    s.commit().unwrap();
    let mut session = s.session();
    let queries = [
        Query::text("energy policy"),
        Query { k: 20, ..Query::vector(docs[150].vector.clone().unwrap()) },
        text_query("harbor", 7),
    ];
    for q in &queries {
        assert_eq!(session.search(q).unwrap(), s.search(q).unwrap());
    }
    assert_eq!(session.generation(), 1);
    s.add(&docs[200..]).unwrap();
    let probe = Query { k: 1, ..Query::vector(docs[250].vector.clone().unwrap()) };
    assert_ne!(session.search(&probe).unwrap()[0].id, "doc-250");
    s.commit().unwrap();
    assert_eq!(session.search(&probe).unwrap()[0].id, "doc-250");
    assert_eq!(session.generation(), 2);
    for q in &queries {
        assert_eq!(session.search(q).unwrap(), s.search(q).unwrap());
    }
    // A session moves to another thread.
    let handle = std::thread::spawn(move || session.search(&probe).map(|h| h[0].id.clone()));
    assert_eq!(handle.join().unwrap().unwrap(), "doc-250");
    s.close().unwrap();
    assert_eq!(s.session().search(&Query::text("a")).unwrap_err().code(), "ERR_CLOSED");
}

#[test]
fn open_refuses_other_dimensions_or_metric_naming_both() {
    let dir = TempDir::new("mismatch");
    dir.open(DIMS).close().unwrap();
    let err = UnifiedSearchSystem::open(dir.options(DIMS + 1)).unwrap_err();
    assert_eq!(err.code(), "ERR_INVALID_ARGUMENT");
    let msg = err.to_string();
    assert!(msg.contains("16 dimensions") && msg.contains("17 dimensions"), "{msg}");
    let err =
        UnifiedSearchSystem::open(vn_hybrid::OpenOptions { metric: Metric::L2, ..dir.options(DIMS) }).unwrap_err();
    assert!(err.to_string().contains("cosine") && err.to_string().contains("l2"), "{err}");
    // A second system on the same store while the first is open.
    let first = dir.open(DIMS);
    let err = UnifiedSearchSystem::open(dir.options(DIMS)).unwrap_err();
    assert_eq!(err.code(), "ERR_LOCKED");
    assert!(err.to_string().contains("locked"), "{err}");
    first.close().unwrap();
    dir.open(DIMS);
}

#[test]
fn stats_and_rollback() {
    let dir = TempDir::new("stats");
    let s = dir.open(DIMS);
    s.add(&corpus(10, DIMS, false, 7)).unwrap();
    let st = s.stats().unwrap();
    assert_eq!((st.doc_count, st.pending_adds, st.generation, st.dimensions), (0, 10, 0, DIMS));
    assert_eq!(s.rollback().unwrap(), 10);
    assert_eq!(s.commit().unwrap(), 0, "nothing pending: same generation");
    s.add(&corpus(10, DIMS, false, 7)).unwrap();
    assert_eq!(s.commit().unwrap(), 1);
    let st = s.stats().unwrap();
    assert_eq!((st.doc_count, st.vector_count, st.pending_adds, st.generation), (10, 10, 0, 1));
    assert!(st.text_index_bytes > 0 && st.vector_index_bytes > 0);
    assert_eq!(st.metric, Metric::Cosine);
}

#[test]
fn dropping_the_system_releases_the_store_even_with_live_sessions() {
    let dir = TempDir::new("drop");
    let s = dir.open(DIMS);
    s.add(&corpus(5, DIMS, true, 8)).unwrap();
    s.commit().unwrap();
    let mut session = s.session();
    assert!(!session.search(&text_query("energy solar wind grid", 5)).unwrap().is_empty());
    drop(s);
    assert_eq!(session.search(&Query::text("energy")).unwrap_err().code(), "ERR_CLOSED");
    let again = dir.open(DIMS);
    assert_eq!(again.stats().unwrap().doc_count, 5);
}

#[test]
fn embed_gives_the_vectors_the_store_indexes_and_searches_with() {
    let dir = TempDir::new("embed");
    let s = dir.open(DIMS);
    let texts = ["solar wind grid", "", "harbor crane at dawn", "solar wind grid"];
    let rows = s.embed(&texts).unwrap();
    assert_eq!(rows.len(), texts.len() * DIMS);
    let row = |i: usize| &rows[i * DIMS..(i + 1) * DIMS];
    assert_eq!(row(0), row(3), "same text, same vector");
    assert_ne!(row(0), row(2));
    assert!(row(1).iter().all(|&x| x == 0.0), "a text without tokens embeds to zeros");
    let norm: f32 = row(2).iter().map(|x| x * x).sum();
    assert!((norm - 1.0).abs() < 1e-5, "unit length: {norm}");
    assert!(s.embed(&[]).unwrap().is_empty());

    // Documents added without vectors are indexed with exactly these vectors.
    s.add(&[Document::new("a", texts[0]), Document::new("b", texts[2])]).unwrap();
    s.commit().unwrap();
    for (i, id) in [(0, "a"), (2, "b")] {
        let hits = s.search(&Query { k: 1, ..Query::vector(row(i).to_vec()) }).unwrap();
        assert_eq!(hits[0].id, id);
        assert!((hits[0].vector_score.unwrap() - 1.0).abs() < 1e-5, "{:?}", hits[0]);
    }

    s.close().unwrap();
    assert_eq!(s.embed(&["x"]).unwrap_err().code(), "ERR_CLOSED");
    let bare = TempDir::new("embed-none");
    let s = UnifiedSearchSystem::open(vn_hybrid::OpenOptions {
        embedder: vn_hybrid::EmbedderConfig::None,
        ..bare.options(4)
    })
    .unwrap();
    let err = s.embed(&["x"]).unwrap_err();
    assert_eq!(err.code(), "ERR_INVALID_ARGUMENT");
    assert!(err.to_string().contains("no built-in embedder"), "{err}");
}

/// The ids of the `k` documents nearest to `q` by cosine distance, by brute force in f64.
fn exact_cosine_neighbours(docs: &[Document], q: &[f32], k: usize) -> Vec<String> {
    let cos = |v: &[f32]| {
        let dot: f64 = v.iter().zip(q).map(|(a, b)| f64::from(*a) * f64::from(*b)).sum();
        let norm = |x: &[f32]| x.iter().map(|a| f64::from(*a).powi(2)).sum::<f64>().sqrt();
        dot / (norm(v) * norm(q))
    };
    let mut scored: Vec<(f64, &str)> =
        docs.iter().map(|d| (1.0 - cos(d.vector.as_ref().unwrap()), d.id.as_str())).collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    scored.into_iter().take(k).map(|(_, id)| id.to_string()).collect()
}

#[test]
fn a_flat_store_returns_the_exact_neighbours_and_keeps_its_kind() {
    let dir = TempDir::new("flat");
    let docs = corpus(400, DIMS, true, 31);
    let mut rng = Rng(77);
    let queries: Vec<Vec<f32>> = (0..25).map(|_| rng.vector(DIMS)).collect();
    let flat = || OpenOptions { vector_index: Some(IndexKind::Flat), ..dir.options(DIMS) };
    let check = |s: &UnifiedSearchSystem| {
        for q in &queries {
            let hits = s.search(&Query { k: 10, ..Query::vector(q.clone()) }).unwrap();
            assert_eq!(ids(&hits), exact_cosine_neighbours(&docs, q, 10));
        }
        let mut session = s.session();
        let hits = session.search(&Query { k: 10, ..Query::vector(queries[0].clone()) }).unwrap();
        assert_eq!(ids(&hits), exact_cosine_neighbours(&docs, &queries[0], 10));
    };

    let s = UnifiedSearchSystem::open(flat()).unwrap();
    assert_eq!(s.vector_index(), IndexKind::Flat);
    s.add(&docs).unwrap();
    s.commit().unwrap();
    check(&s);
    s.close().unwrap();

    // Reopened without naming a kind: still flat, nothing repaired, the same answers.
    let s = dir.open(DIMS);
    assert_eq!((s.vector_index(), s.stats().unwrap().vector_index), (IndexKind::Flat, IndexKind::Flat));
    assert_eq!(s.open_report().repaired, None);
    check(&s);
    s.close().unwrap();

    // Naming the other kind is refused, naming both.
    let e = UnifiedSearchSystem::open(OpenOptions { vector_index: Some(IndexKind::Hnsw), ..dir.options(DIMS) })
        .unwrap_err();
    assert_eq!(e.code(), "ERR_INVALID_ARGUMENT");
    assert!(e.to_string().contains("has a flat vector index") && e.to_string().contains("hnsw"), "{e}");

    // A lost vector file is rebuilt as flat.
    std::fs::remove_file(dir.vectors().join("vectors.vnidx")).unwrap();
    let s = UnifiedSearchSystem::open(flat()).unwrap();
    assert!(s.open_report().repaired.as_ref().unwrap().rebuilt);
    assert_eq!(vn_index::read_index_kind(&dir.vectors().join("vectors.vnidx")).unwrap(), IndexKind::Flat);
    check(&s);
    s.close().unwrap();

    // The default for a new store is HNSW.
    let other = TempDir::new("default-kind");
    assert_eq!(other.open(DIMS).vector_index(), IndexKind::Hnsw);
}
