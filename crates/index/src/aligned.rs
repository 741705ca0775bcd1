//! Vector rows that each start on a 64-byte boundary.
//!
//! The `vn_distance` SIMD kernels align their main loop to one input and handle a head of
//! `offset`-dependent length first, so the last bits of a distance depend on where the inputs
//! sit in memory. When every stored row is 64-byte aligned, the kernels' head is empty whatever
//! the query's address: a distance depends only on the values. That makes results identical
//! between `search` and `search_batch`, between a scratch and another, and before and after a
//! save/load round trip; and aligned loads are the kernels' fast path.
//!
//! Rows are therefore stored with a stride of `d` rounded up to 16 floats (64 bytes): no
//! padding for the usual embedding sizes (multiples of 16), at most 15 floats per row otherwise.
//! Here (the flat index's table) everything is safe code: a buffer is over-allocated by 15
//! floats and the rows start at the first 64-byte boundary inside it. The HNSW index keeps its
//! vectors in its level-0 blocks instead (64-byte aligned allocations, see `hnsw::graph`).

/// Floats per 64 bytes.
const ALIGN_FLOATS: usize = 16;

/// Distance between consecutive rows of `d` floats.
#[inline]
pub(crate) fn stride(d: usize) -> usize {
    d.div_ceil(ALIGN_FLOATS) * ALIGN_FLOATS
}

/// Index of the first 64-byte aligned float of `buf` (0 if the platform cannot say).
fn aligned_start(buf: &[f32]) -> usize {
    let off = buf.as_ptr().align_offset(64);
    if off < ALIGN_FLOATS && off <= buf.len() {
        off
    } else {
        0
    }
}

/// A growable table of aligned rows (the flat index's storage).
pub(crate) struct AlignedRows {
    dims: usize,
    stride: usize,
    /// Fixed length (never pushed to, so never moved behind our back); replaced when full.
    buf: Vec<f32>,
    start: usize,
    len: usize,
}

impl AlignedRows {
    pub(crate) fn new(dims: usize) -> Self {
        AlignedRows { dims, stride: stride(dims), buf: Vec::new(), start: 0, len: 0 }
    }

    /// Rows stored.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(crate) fn row(&self, i: usize) -> &[f32] {
        let at = self.start + i * self.stride;
        &self.buf[at..at + self.dims]
    }

    /// Distance between consecutive rows (`dims` rounded up to 16 floats).
    #[inline]
    pub(crate) fn stride(&self) -> usize {
        self.stride
    }

    /// Rows `first .. first + count` as one slice: row `first + i` is at `i · stride()`
    /// (empty for `count == 0`).
    #[inline]
    pub(crate) fn rows_from(&self, first: usize, count: usize) -> &[f32] {
        if count == 0 {
            return &[];
        }
        let at = self.start + first * self.stride;
        &self.buf[at..at + (count - 1) * self.stride + self.dims]
    }

    /// All rows, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[f32]> + '_ {
        (0..self.len).map(move |i| self.row(i))
    }

    /// Bytes of the buffer (capacity, padding and alignment slack included).
    pub(crate) fn allocated_bytes(&self) -> u64 {
        (self.buf.capacity() * std::mem::size_of::<f32>()) as u64
    }

    fn capacity(&self) -> usize {
        (self.buf.len().saturating_sub(self.start)) / self.stride
    }

    /// Appends row-major `rows`. `Err` (and nothing changed) if memory runs out.
    pub(crate) fn extend(&mut self, rows: &[f32]) -> Result<(), std::collections::TryReserveError> {
        let n = rows.len() / self.dims;
        if self.len + n > self.capacity() {
            let cap = (self.len + n).max(2 * self.capacity()).max(16);
            let mut buf = Vec::new();
            buf.try_reserve_exact(cap * self.stride + ALIGN_FLOATS - 1)?;
            buf.resize(cap * self.stride + ALIGN_FLOATS - 1, 0.0);
            let start = aligned_start(&buf);
            for i in 0..self.len {
                let at = start + i * self.stride;
                buf[at..at + self.dims].copy_from_slice(self.row(i));
            }
            self.buf = buf;
            self.start = start;
        }
        for (i, row) in rows.chunks_exact(self.dims).enumerate() {
            let at = self.start + (self.len + i) * self.stride;
            self.buf[at..at + self.dims].copy_from_slice(row);
        }
        self.len += n;
        Ok(())
    }

    /// Removes row `i` by moving the last row into its place.
    pub(crate) fn swap_remove(&mut self, i: usize) {
        let last = self.len - 1;
        if i != last {
            let from = self.start + last * self.stride;
            self.buf.copy_within(from..from + self.dims, self.start + i * self.stride);
        }
        self.len = last;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_aligned(row: &[f32]) -> bool {
        (row.as_ptr() as usize).is_multiple_of(64)
    }

    #[test]
    fn growing_and_removing_keeps_rows_aligned_and_in_place() {
        let d = 5;
        let mut t = AlignedRows::new(d);
        let mut model: Vec<Vec<f32>> = Vec::new();
        for batch in 0..40 {
            let rows: Vec<f32> = (0..3 * d).map(|x| (batch * 100 + x) as f32).collect();
            t.extend(&rows).unwrap();
            model.extend(rows.chunks(d).map(|r| r.to_vec()));
            if batch % 3 == 0 {
                t.swap_remove(1);
                model.swap_remove(1);
            }
        }
        assert_eq!(t.len(), model.len());
        for (i, (row, want)) in t.iter().zip(&model).enumerate() {
            assert!(is_aligned(row), "row {i}");
            assert_eq!(row, &want[..]);
        }
    }
}
