//! [`Document`]: what a caller adds and gets back, and the checks a document must pass.

use vn_index::Metric;

use crate::embed::is_zero;
use crate::{HybridError, Result};

/// Longest accepted document id, in bytes.
pub const MAX_ID_BYTES: usize = 4096;

/// A document to add (and, from [`UnifiedSearchSystem::get`](crate::UnifiedSearchSystem::get),
/// as stored).
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The caller's id: non-empty, at most [`MAX_ID_BYTES`] bytes, unique in the store.
    pub id: String,
    /// The searchable text: must contain a non-whitespace character.
    pub text: String,
    /// The document's vector (store dimensions, finite, non-zero under cosine). Without one,
    /// the system's embedder embeds `text`; without an embedder (or when the text has no
    /// tokens) the document is text-only: found by text search, never by vector search.
    pub vector: Option<Vec<f32>>,
    /// A JSON string stored with the document (validated as JSON, never indexed).
    pub metadata: Option<String>,
}

impl Document {
    /// A document without vector or metadata.
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Document {
        Document { id: id.into(), text: text.into(), vector: None, metadata: None }
    }

    /// The same document with a vector.
    pub fn with_vector(mut self, vector: Vec<f32>) -> Document {
        self.vector = Some(vector);
        self
    }

    /// The same document with metadata (a JSON string).
    pub fn with_metadata(mut self, metadata: impl Into<String>) -> Document {
        self.metadata = Some(metadata.into());
        self
    }

    /// A document as the text index stored it. Errors: `Corrupt` when its stored metadata is
    /// not JSON (every add checks it is).
    pub(crate) fn from_stored(d: vn_text::StoredDoc) -> Result<Document> {
        if let Some(m) = &d.metadata {
            serde_json::from_str::<serde::de::IgnoredAny>(m).map_err(|e| {
                HybridError::Corrupt(format!(
                    "text index: the stored metadata of document {:?} is not JSON ({e})",
                    d.id
                ))
            })?;
        }
        Ok(Document { id: d.id, text: d.text, vector: d.vector, metadata: d.metadata })
    }

    /// Checks the document against a store of `dims` dimensions and `metric`.
    pub(crate) fn validate(&self, dims: usize, metric: Metric) -> Result<()> {
        let d = self;
        if d.id.is_empty() {
            return Err(HybridError::InvalidArgument("a document id is empty".into()));
        }
        if d.id.len() > MAX_ID_BYTES {
            return Err(HybridError::InvalidArgument(format!(
                "document id {:?}… is {} bytes long, the limit is {MAX_ID_BYTES}",
                d.id.chars().take(32).collect::<String>(),
                d.id.len()
            )));
        }
        if d.text.trim().is_empty() {
            return Err(HybridError::InvalidArgument(format!("document {:?} has no text", d.id)));
        }
        if let Some(m) = &d.metadata {
            serde_json::from_str::<serde::de::IgnoredAny>(m).map_err(|e| {
                HybridError::InvalidArgument(format!("the metadata of document {:?} is not JSON: {e}", d.id))
            })?;
        }
        if let Some(v) = &d.vector {
            if v.len() != dims {
                return Err(HybridError::DimensionMismatch {
                    expected: dims,
                    got: v.len(),
                    context: format!("the vector of document {:?}", d.id),
                });
            }
            if let Some((i, x)) = v.iter().enumerate().find(|(_, x)| !x.is_finite()) {
                return Err(HybridError::InvalidArgument(format!(
                    "the vector of document {:?} has a non-finite component at position {i} ({x})",
                    d.id
                )));
            }
            if metric == Metric::Cosine && is_zero(v) {
                return Err(HybridError::InvalidArgument(format!(
                    "the vector of document {:?} is zero, which has no direction under the cosine metric",
                    d.id
                )));
            }
        }
        Ok(())
    }
}
