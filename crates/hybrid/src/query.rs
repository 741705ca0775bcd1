//! What a search asks for ([`Query`]), what it returns ([`Hit`]), and the checks in between.

use crate::{HybridError, Result};

/// Largest `k` (and candidate window) a query may ask for.
pub const MAX_K: usize = 10_000;

/// Smallest per-leg candidate window of a hybrid query when none is given: the window is
/// `max(k, DEFAULT_CANDIDATES)`.
pub const DEFAULT_CANDIDATES: usize = 50;

/// Which legs a search runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchMode {
    /// BM25 over the text only. Needs `text`; a query vector is ignored.
    Text,
    /// Nearest neighbours only. Uses `vector`, or else embeds `text` with the system's embedder.
    Vector,
    /// Both legs, fused (see [`Fusion`]). The text leg runs when `text` is given; the vector leg
    /// uses `vector`, or else the embedded `text`. At least one of the two is needed.
    #[default]
    Hybrid,
}

/// How a hybrid search merges its two ranked lists (see [`crate::fusion`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fusion {
    /// Reciprocal rank fusion: `Σ 1 / (k + rank)` over the legs that hold the document.
    Rrf {
        /// The damping constant (60 in the original paper).
        k: u32,
    },
    /// `alpha · minmax(text) + (1 − alpha) · minmax(vector)`; a leg missing the document adds 0.
    Linear {
        /// Weight of the text leg, in `[0, 1]`.
        alpha: f64,
    },
}

impl Default for Fusion {
    fn default() -> Self {
        Fusion::Rrf { k: 60 }
    }
}

/// One search.
///
/// ```
/// use vn_hybrid::{Fusion, Query, SearchMode};
/// let q = Query { mode: SearchMode::Hybrid, k: 5, fusion: Fusion::Linear { alpha: 0.3 }, ..Query::text("solar") };
/// assert_eq!(q.text.as_deref(), Some("solar"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Words to match (BM25) and, without `vector`, to embed for the vector leg. Must contain
    /// a non-whitespace character when given.
    pub text: Option<String>,
    /// A query vector of the store's dimensions.
    pub vector: Option<Vec<f32>>,
    /// Which legs run.
    pub mode: SearchMode,
    /// How many hits at most (1 ..= [`MAX_K`]).
    pub k: usize,
    /// How a hybrid search fuses its legs.
    pub fusion: Fusion,
    /// Hybrid only: how many candidates each leg contributes to the fusion (`k ..= MAX_K`;
    /// default `max(k, DEFAULT_CANDIDATES)`). Single-leg modes fetch exactly `k`.
    pub candidates: Option<usize>,
    /// HNSW beam width for the vector leg (default: the index's `ef_search`). A flat index is
    /// exact and ignores it.
    pub ef: Option<usize>,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            text: None,
            vector: None,
            mode: SearchMode::Hybrid,
            k: 10,
            fusion: Fusion::default(),
            candidates: None,
            ef: None,
        }
    }
}

impl Query {
    /// A hybrid query for `text` with the defaults (`k = 10`, RRF with `k = 60`).
    pub fn text(text: impl Into<String>) -> Query {
        Query { text: Some(text.into()), ..Query::default() }
    }

    /// A vector-mode query for `vector` with the defaults.
    pub fn vector(vector: Vec<f32>) -> Query {
        Query { vector: Some(vector), mode: SearchMode::Vector, ..Query::default() }
    }
}

/// One result.
///
/// `score` is what the hits are ordered by (descending; equal scores by `id` ascending):
/// the BM25 score in text mode, the vector similarity in vector mode, the fused score in
/// hybrid mode. Each leg's own score and 1-based rank are reported when the document came
/// from that leg.
///
/// Vector similarity is "larger is closer": `1 − cosine distance` (= the cosine) under
/// `Cosine`, the inner product `a·b` under `Dot`, and `1 / (1 + d)` of the squared Euclidean
/// distance `d` under `L2`.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The caller's id.
    pub id: String,
    /// The ordering score (see above).
    pub score: f64,
    /// BM25 score, if the text leg returned the document.
    pub text_score: Option<f64>,
    /// 1-based rank in the text leg.
    pub text_rank: Option<u32>,
    /// Vector similarity, if the vector leg returned the document.
    pub vector_score: Option<f64>,
    /// 1-based rank in the vector leg.
    pub vector_rank: Option<u32>,
}

/// A validated query: which legs run, with which windows.
#[derive(Debug, Clone)]
pub(crate) struct Plan<'q> {
    /// Text for the text leg, if it runs.
    pub text_leg: Option<&'q str>,
    /// Whether the vector leg runs (with `query.vector`, or the embedded `embed_text`).
    pub vector_leg: bool,
    /// Text to embed when the vector leg runs without a query vector.
    pub embed_text: Option<&'q str>,
    /// Candidates per leg.
    pub window: usize,
}

/// Checks `q` and decides which legs run. `has_embedder` tells whether text can stand in for a
/// missing query vector.
pub(crate) fn plan(q: &Query, has_embedder: bool) -> Result<Plan<'_>> {
    if q.k == 0 || q.k > MAX_K {
        return Err(HybridError::InvalidArgument(format!("k must be between 1 and {MAX_K}, got {}", q.k)));
    }
    if let Some(t) = &q.text {
        if t.trim().is_empty() {
            return Err(HybridError::InvalidArgument("the query text is empty (or only whitespace)".into()));
        }
    }
    match q.fusion {
        Fusion::Linear { alpha } if !(0.0..=1.0).contains(&alpha) => {
            return Err(HybridError::InvalidArgument(format!("fusion alpha must be in [0, 1], got {alpha}")));
        }
        _ => {}
    }
    let text = q.text.as_deref();
    let no_embedder = |what: &str| {
        HybridError::InvalidArgument(format!(
            "{what} without a query vector needs an embedder, and this system has none \
             (EmbedderConfig::None): pass a vector"
        ))
    };
    let (text_leg, vector_leg, embed_text) = match q.mode {
        SearchMode::Text => {
            (Some(text.ok_or_else(|| HybridError::InvalidArgument("text mode needs query text".into()))?), false, None)
        }
        SearchMode::Vector => match (&q.vector, text) {
            (Some(_), _) => (None, true, None),
            (None, Some(t)) if has_embedder => (None, true, Some(t)),
            (None, Some(_)) => return Err(no_embedder("vector search")),
            (None, None) => {
                return Err(HybridError::InvalidArgument("vector mode needs a query vector or query text".into()))
            }
        },
        SearchMode::Hybrid => match (&q.vector, text) {
            (Some(_), t) => (t, true, None),
            (None, Some(t)) if has_embedder => (Some(t), true, Some(t)),
            (None, Some(_)) => return Err(no_embedder("hybrid search")),
            (None, None) => {
                return Err(HybridError::InvalidArgument("hybrid mode needs query text or a query vector".into()))
            }
        },
    };
    let window = match (q.mode, q.candidates) {
        (SearchMode::Hybrid, Some(c)) if c < q.k || c > MAX_K => {
            return Err(HybridError::InvalidArgument(format!(
                "candidates must be between k ({}) and {MAX_K}, got {c}",
                q.k
            )))
        }
        (SearchMode::Hybrid, Some(c)) => c,
        (SearchMode::Hybrid, None) => q.k.max(DEFAULT_CANDIDATES),
        _ => q.k,
    };
    Ok(Plan { text_leg, vector_leg, embed_text, window })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(q: &Query) -> &'static str {
        plan(q, true).unwrap_err().code()
    }

    #[test]
    fn bad_queries_are_refused() {
        assert_eq!(code(&Query { k: 0, ..Query::text("a") }), "ERR_INVALID_ARGUMENT");
        assert_eq!(code(&Query { k: MAX_K + 1, ..Query::text("a") }), "ERR_INVALID_ARGUMENT");
        assert_eq!(code(&Query::text(" \t\n")), "ERR_INVALID_ARGUMENT");
        assert_eq!(code(&Query { mode: SearchMode::Text, ..Query::vector(vec![1.0]) }), "ERR_INVALID_ARGUMENT");
        assert_eq!(code(&Query { mode: SearchMode::Hybrid, ..Query::default() }), "ERR_INVALID_ARGUMENT");
        assert_eq!(code(&Query { candidates: Some(5), ..Query::text("a") }), "ERR_INVALID_ARGUMENT");
        assert_eq!(code(&Query { fusion: Fusion::Linear { alpha: 1.5 }, ..Query::text("a") }), "ERR_INVALID_ARGUMENT");
        assert_eq!(plan(&Query::text("a"), false).unwrap_err().code(), "ERR_INVALID_ARGUMENT");
    }

    #[test]
    fn legs_and_windows() {
        let summary = |q: Query, has_embedder: bool| {
            let p = plan(&q, has_embedder).unwrap();
            (p.text_leg.map(str::to_string), p.vector_leg, p.embed_text.map(str::to_string), p.window)
        };
        let s = |x: &str| Some(x.to_string());
        assert_eq!(summary(Query::text("solar"), true), (s("solar"), true, s("solar"), 50));
        assert_eq!(summary(Query { k: 80, ..Query::text("solar") }, true).3, 80);
        assert_eq!(summary(Query { text: s("x"), ..Query::vector(vec![1.0]) }, false), (None, true, None, 10));
        assert_eq!(summary(Query { mode: SearchMode::Text, ..Query::text("x") }, false), (s("x"), false, None, 10));
        assert_eq!(
            summary(Query { vector: Some(vec![1.0]), candidates: Some(30), ..Query::text("x") }, false),
            (s("x"), true, None, 30)
        );
    }
}
