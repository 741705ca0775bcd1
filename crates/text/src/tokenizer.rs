//! The analyzer of the `text` field, shared with the hybrid engine's embedder.

use tantivy::tokenizer::{LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, TokenStream};

/// Name under which [`analyzer`] is registered on every opened index (tokenizers are not
/// persisted by tantivy: the schema only names them).
pub const TOKENIZER_NAME: &str = "vn_simple";

/// Tokens longer than this many **bytes** are dropped (tantivy's default is 40; 64 keeps a
/// run of 21 CJK characters, which the simple tokenizer does not split).
pub const MAX_TOKEN_BYTES: usize = 64;

/// `SimpleTokenizer → RemoveLongFilter(MAX_TOKEN_BYTES) → LowerCaser`.
///
/// The simple tokenizer splits on every `char` that is not `char::is_alphanumeric`, so
/// letters and digits of any script form tokens ("Überraschung" → `überraschung`,
/// "東京" → `東京`). Scripts written without spaces are not segmented: "東京タワー" is one
/// token and a query for "東京" does not match it. No stemming, no stop words.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES + 1)) // keeps tokens shorter than the limit
        .filter(LowerCaser)
        .build()
}

/// Calls `f` with each token of `text`, in order, exactly as the index sees them.
pub fn for_each_token(text: &str, mut f: impl FnMut(&str)) {
    let mut analyzer = analyzer();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        f(&stream.token().text);
    }
}

/// The tokens of `text`, in order, exactly as the index sees them.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_token(text, |t| out.push(t.to_string()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_lowercases_and_keeps_unicode_letters() {
        assert_eq!(tokens("Hello, World! it's 2024"), ["hello", "world", "it", "s", "2024"]);
        assert_eq!(tokens("Die ÜBERRASCHUNG in 東京"), ["die", "überraschung", "in", "東京"]);
        assert!(tokens("  ... !!! ").is_empty());
    }

    #[test]
    fn drops_long_tokens() {
        let long = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert_eq!(tokens(&format!("short {long} end")), ["short", "end"]);
        assert_eq!(tokens(&"a".repeat(MAX_TOKEN_BYTES)).len(), 1);
    }
}
