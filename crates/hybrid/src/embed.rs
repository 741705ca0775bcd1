//! Embedders: the [`Embedder`] trait and the built-in, dependency-free
//! [`FeatureHashingEmbedder`].

use std::fmt;
use std::sync::Arc;

/// Turns texts into vectors. Implementations must be deterministic (the same text always gives
/// the same vector) and return one vector of the store's dimensions per text.
///
/// The JS binding's users usually embed in JS and pass vectors in; a Rust caller can plug a
/// model in here ([`EmbedderConfig::Custom`]).
pub trait Embedder: Send + Sync {
    /// One vector per text, in order.
    fn embed(&self, texts: &[&str]) -> Vec<Vec<f32>>;
}

/// Which embedder a system uses for documents without a vector and for queries without one.
#[derive(Clone, Default)]
pub enum EmbedderConfig {
    /// [`FeatureHashingEmbedder`] with the store's dimensions.
    #[default]
    FeatureHashing,
    /// None: documents without a vector are text-only, and vector or hybrid queries must carry
    /// a vector.
    None,
    /// The caller's embedder.
    Custom(Arc<dyn Embedder>),
}

impl fmt::Debug for EmbedderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EmbedderConfig::FeatureHashing => "FeatureHashing",
            EmbedderConfig::None => "None",
            EmbedderConfig::Custom(_) => "Custom(..)",
        })
    }
}

/// A **lexical** embedder: signed feature hashing ("the hashing trick") of word unigrams and
/// bigrams, L2-normalised.
///
/// Texts are tokenized exactly like the text index ([`vn_text::tokens`]: split on
/// non-alphanumeric characters, lowercased). Each unigram and each pair of adjacent tokens is
/// hashed (64-bit FNV-1a, then a splitmix64 finaliser); the hash picks a dimension
/// (`h mod dimensions`) and, from its top bit, a sign (+1 / −1), which makes collisions cancel
/// out on average instead of piling up. Unigrams weigh 1, bigrams 0.5. The sum is scaled to
/// unit length.
///
/// What it is: a cheap, deterministic, model-free vector in which texts sharing words (and
/// word pairs) have a high cosine. What it is not: semantic. "car" and "automobile" are as
/// unrelated as "car" and "banana". It lets the vector and hybrid modes work out of the box;
/// for meaning, pass vectors from a real model.
///
/// A text without tokens (only punctuation or whitespace) embeds to the zero vector; the
/// system stores such a document as text-only (no vector) and skips the vector leg for such a
/// query.
///
/// ```
/// use vn_hybrid::{Embedder, FeatureHashingEmbedder};
/// let e = FeatureHashingEmbedder::new(64);
/// let v = e.embed(&["Solar panel subsidies", "solar panels", "?!"]);
/// let norm: f32 = v[0].iter().map(|x| x * x).sum::<f32>().sqrt();
/// assert!((norm - 1.0).abs() < 1e-5);
/// assert!(v[2].iter().all(|&x| x == 0.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureHashingEmbedder {
    dimensions: usize,
}

impl FeatureHashingEmbedder {
    /// An embedder producing `dimensions`-long vectors (at least 1).
    pub fn new(dimensions: usize) -> FeatureHashingEmbedder {
        FeatureHashingEmbedder { dimensions: dimensions.max(1) }
    }

    /// The vector length.
    pub fn dimensions(&self) -> usize {
        self.dimensions
    }

    /// The vector of one text.
    pub fn embed_one(&self, text: &str) -> Vec<f32> {
        let mut acc = vec![0.0f64; self.dimensions];
        let mut previous: Option<String> = None;
        vn_text::for_each_token(text, |token| {
            self.add_feature(&mut acc, UNIGRAM, token.as_bytes(), &[], 1.0);
            if let Some(p) = &previous {
                self.add_feature(&mut acc, BIGRAM, p.as_bytes(), token.as_bytes(), 0.5);
            }
            previous = Some(token.to_string());
        });
        let norm = acc.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 {
            return vec![0.0; self.dimensions];
        }
        acc.iter().map(|x| (x / norm) as f32).collect()
    }

    fn add_feature(&self, acc: &mut [f64], kind: u8, a: &[u8], b: &[u8], weight: f64) {
        // The kind byte and the separator keep "a b" (bigram) apart from a unigram "a b".
        let mut h = Fnv1a::new();
        h.write(&[kind]);
        h.write(a);
        h.write(&[0xff]); // never part of UTF-8
        h.write(b);
        let x = mix(h.0);
        let slot = (x % self.dimensions as u64) as usize;
        let sign = if x >> 63 == 0 { 1.0 } else { -1.0 };
        acc[slot] += sign * weight;
    }
}

impl Embedder for FeatureHashingEmbedder {
    fn embed(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        texts.iter().map(|t| self.embed_one(t)).collect()
    }
}

/// Whether every component is zero (no tokens: nothing to compare).
pub(crate) fn is_zero(v: &[f32]) -> bool {
    v.iter().all(|&x| x == 0.0)
}

/// Checks an embedder's output against the store's dimensions.
pub(crate) fn check_embedded(v: &[f32], dims: usize) -> crate::Result<()> {
    if v.len() != dims {
        return Err(crate::HybridError::DimensionMismatch {
            expected: dims,
            got: v.len(),
            context: "the embedder's output".into(),
        });
    }
    if v.iter().any(|x| !x.is_finite()) {
        return Err(crate::HybridError::InvalidArgument("the embedder returned a non-finite value".into()));
    }
    Ok(())
}

const UNIGRAM: u8 = 1;
const BIGRAM: u8 = 2;

/// 64-bit FNV-1a: stable across platforms, versions and runs (unlike `std`'s `RandomState`).
struct Fnv1a(u64);

impl Fnv1a {
    fn new() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// splitmix64's finaliser: spreads FNV's weak low bits over the whole word.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Cosine of two vectors (0 when either is zero).
#[cfg(test)]
pub(crate) fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
    let na: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_l2_normalised() {
        let e = FeatureHashingEmbedder::new(128);
        let a = e.embed_one("The quick brown fox jumps over the lazy dog");
        assert_eq!(a, FeatureHashingEmbedder::new(128).embed_one("The quick brown fox jumps over the lazy dog"));
        let norm: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-6, "{norm}");
        assert_eq!(a.len(), 128);
        // Case and punctuation do not matter: the tokens are the same.
        assert_eq!(a, e.embed_one("the QUICK brown fox -- jumps over the lazy dog!"));
        // Pinned values: the hash must not change between versions (stored vectors depend on it).
        let pinned = FeatureHashingEmbedder::new(8).embed_one("solar panel");
        // "solar" and "panel" (weight 1, opposite signs) and the bigram (weight 0.5), / 1.5.
        assert_eq!(pinned, [0.0, 0.0, 0.0, -0.33333334, -0.6666667, 0.0, 0.0, 0.6666667]);
    }

    #[test]
    fn similar_texts_are_closer_than_unrelated_ones() {
        let e = FeatureHashingEmbedder::new(256);
        let q = e.embed_one("solar panel subsidies for homeowners");
        let similar = e.embed_one("subsidies for rooftop solar panel installations");
        let unrelated = e.embed_one("the history of medieval castle architecture");
        let (s, u) = (cosine(&q, &similar), cosine(&q, &unrelated));
        assert!(s > 0.4, "similar {s}");
        assert!(s > u + 0.3, "similar {s} unrelated {u}");
        // Word order matters a little (bigrams), word choice a lot.
        let reordered = e.embed_one("subsidies panel solar homeowners for");
        let c = cosine(&q, &reordered);
        assert!(c > 0.6 && c < 1.0 - 1e-6, "{c}");
    }

    #[test]
    fn no_tokens_gives_the_zero_vector() {
        let e = FeatureHashingEmbedder::new(16);
        assert_eq!(e.embed(&["", " ?! ", "..."]), vec![vec![0.0; 16]; 3]);
        assert_eq!(e.embed_one("東京").iter().filter(|&&x| x != 0.0).count(), 1);
    }
}
