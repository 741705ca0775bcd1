//! The schema of the text index and the encoding of its stored vectors.

use tantivy::schema::{
    BytesOptions, FieldType, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED,
    STORED, STRING,
};

use crate::tokenizer::TOKENIZER_NAME;
use crate::{Result, TextError};

/// Field name of the caller's string id (`STRING | STORED | FAST`): exact-match indexed, and a
/// fast column so ids come back from a search without touching the document store.
pub const ID: &str = "id";
/// Field name of the searchable text (stored; tokenized with [`TOKENIZER_NAME`], BM25 with frequencies,
/// no positions: there are no phrase queries).
pub const TEXT: &str = "text";
/// Field name of the stored vector: `dimensions × 4` bytes, `f32` little-endian. With it the
/// text index is the durable source of truth; a vector index can always be rebuilt from it.
pub const VECTOR: &str = "vector";
/// Field name of the stored metadata (a JSON string, never indexed).
pub const METADATA: &str = "metadata";
/// Field name of the engine's `u64` id (`FAST | STORED | INDEXED`), the vector index's key.
pub const INTERNAL_ID: &str = "internal_id";
/// Field name of the "this document carries a vector" flag (`FAST`), so a consistency check
/// lists the documents with vectors without reading the document store.
pub const HAS_VECTOR: &str = "has_vector";

/// The fields of the schema, resolved once.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// See [`ID`].
    pub id: tantivy::schema::Field,
    /// See [`TEXT`].
    pub text: tantivy::schema::Field,
    /// See [`VECTOR`].
    pub vector: tantivy::schema::Field,
    /// See [`METADATA`].
    pub metadata: tantivy::schema::Field,
    /// See [`INTERNAL_ID`].
    pub internal_id: tantivy::schema::Field,
    /// See [`HAS_VECTOR`].
    pub has_vector: tantivy::schema::Field,
}

/// Builds the schema of a new index.
pub fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text_options = TextOptions::default().set_stored().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(TOKENIZER_NAME).set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        id: b.add_text_field(ID, (STRING | STORED).set_fast("raw")),
        text: b.add_text_field(TEXT, text_options),
        vector: b.add_bytes_field(VECTOR, BytesOptions::default().set_stored()),
        metadata: b.add_text_field(METADATA, STORED),
        internal_id: b.add_u64_field(INTERNAL_ID, FAST | STORED | INDEXED),
        has_vector: b.add_bool_field(HAS_VECTOR, NumericOptions::default().set_fast()),
    };
    (b.build(), fields)
}

/// Resolves the fields of an opened index, and refuses a tantivy index whose schema is not
/// ours (`Corrupt`, naming the first field that differs).
pub fn fields_of(schema: &Schema) -> Result<Fields> {
    let get = |name: &str, ok: fn(&FieldType) -> bool, what: &str| {
        let field = schema
            .get_field(name)
            .map_err(|_| TextError::Corrupt(format!("not a vn-text index: the schema has no field {name:?}")))?;
        if !ok(schema.get_field_entry(field).field_type()) {
            return Err(TextError::Corrupt(format!("not a vn-text index: field {name:?} is not {what}")));
        }
        Ok(field)
    };
    Ok(Fields {
        id: get(ID, |t| matches!(t, FieldType::Str(o) if o.is_fast() && o.is_stored()), "a stored fast string")?,
        text: get(
            TEXT,
            |t| {
                matches!(t, FieldType::Str(o)
                if o.get_indexing_options().is_some_and(|i| i.tokenizer() == TOKENIZER_NAME))
            },
            "text indexed with the vn tokenizer",
        )?,
        vector: get(VECTOR, |t| matches!(t, FieldType::Bytes(o) if o.is_stored()), "stored bytes")?,
        metadata: get(METADATA, |t| matches!(t, FieldType::Str(o) if o.is_stored()), "a stored string")?,
        internal_id: get(
            INTERNAL_ID,
            |t| matches!(t, FieldType::U64(o) if o.is_fast() && o.is_indexed()),
            "an indexed fast u64",
        )?,
        has_vector: get(HAS_VECTOR, |t| matches!(t, FieldType::Bool(o) if o.is_fast()), "a fast bool")?,
    })
}

/// The stored form of a vector: each component as 4 bytes, little-endian.
pub fn encode_vector(vector: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(vector.len() * 4);
    for x in vector {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out
}

/// Reads a stored vector back; `None` when the length is not a multiple of 4.
pub fn decode_vector(bytes: &[u8]) -> Option<Vec<f32>> {
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    Some(bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_round_trip_bit_exact() {
        let v = [0.0f32, -0.0, 1.5, f32::MIN_POSITIVE, -3.25e-20, 7.0e30];
        let back = decode_vector(&encode_vector(&v)).unwrap();
        assert_eq!(v.map(f32::to_bits).to_vec(), back.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
        assert!(decode_vector(&[1, 2, 3]).is_none());
    }

    #[test]
    fn own_schema_is_accepted_and_a_foreign_one_refused() {
        let (schema, _) = build_schema();
        fields_of(&schema).unwrap();
        let mut b = Schema::builder();
        b.add_text_field(ID, STRING);
        let err = fields_of(&b.build()).unwrap_err();
        assert_eq!(err.code(), "ERR_CORRUPT_INDEX");
        assert!(err.to_string().contains("\"id\""), "{err}");
    }
}
