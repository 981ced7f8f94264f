//! Argon2's memory filling (RFC 9106 §3.2, steps 5 and 6; version 0x13,
//! Argon2id), one segment at a time.
//!
//! Argon2 splits its memory into `p` lanes and each pass into four slices;
//! within a slice, no lane reads a block another lane is writing. So the
//! lanes of a slice can be filled by different threads over one shared
//! memory, meeting between slices — which is what the browser's key workers
//! do with a `SharedArrayBuffer` (the `module/` crate next to this one is
//! that wasm). Everything before and after the filling (H0, the first two
//! blocks of each lane, the tag) is BLAKE2b and lives in `keyhaven-core`.
//!
//! No I/O and no allocation, `no_std`, so the same code runs natively (the
//! tests compare it with the reference implementation) and in that wasm.
#![no_std]

mod blamka;
mod segment;

pub use segment::{Scratch, fill_segment};

/// 1 KiB, as 128 little-endian 64-bit words.
pub type Block = [u64; BLOCK_WORDS];
/// Words in a block.
pub const BLOCK_WORDS: usize = 128;
/// Slices per pass (Argon2's "SL").
pub const SYNC_POINTS: u32 = 4;

/// The shape of an Argon2 memory: `lanes` rows of `lane_length` blocks,
/// filled `passes` times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    lanes: u32,
    lane_length: u32,
    passes: u32,
}

impl Geometry {
    /// The geometry for `memory_kib` KiB: m' = 4p·⌊m / 4p⌋ blocks. `None`
    /// when Argon2 refuses the parameters (no lane or pass, m < 8p) or the
    /// memory can't be addressed.
    pub fn new(memory_kib: u32, passes: u32, lanes: u32) -> Option<Self> {
        let quarter = lanes.checked_mul(SYNC_POINTS)?;
        if lanes == 0 || passes == 0 || memory_kib < lanes.checked_mul(2 * SYNC_POINTS)? {
            return None;
        }
        Self::from_lanes(lanes, memory_kib / quarter * SYNC_POINTS, passes)
    }

    /// A geometry given lane by lane (as the wasm module receives it):
    /// `None` unless `lane_length` is a multiple of four, at least eight.
    pub fn from_lanes(lanes: u32, lane_length: u32, passes: u32) -> Option<Self> {
        let fits = lanes > 0
            && passes > 0
            && lane_length >= 2 * SYNC_POINTS
            && lane_length.is_multiple_of(SYNC_POINTS)
            && lanes.checked_mul(lane_length).is_some();
        fits.then_some(Self {
            lanes,
            lane_length,
            passes,
        })
    }

    /// Lanes (Argon2's `p`).
    pub fn lanes(&self) -> u32 {
        self.lanes
    }

    /// Blocks per lane (Argon2's `q`).
    pub fn lane_length(&self) -> u32 {
        self.lane_length
    }

    /// Passes over the memory (Argon2's `t`).
    pub fn passes(&self) -> u32 {
        self.passes
    }

    /// Blocks per segment: a lane's share of one slice.
    pub fn segment_length(&self) -> u32 {
        self.lane_length / SYNC_POINTS
    }

    /// All blocks (m').
    pub fn blocks(&self) -> usize {
        self.lanes as usize * self.lane_length as usize
    }

    /// Where block `column` of `lane` is in the memory.
    pub fn index(&self, lane: u32, column: u32) -> usize {
        lane as usize * self.lane_length as usize + column as usize
    }
}

/// Fills `memory` whose first two blocks of every lane are already set
/// (H0's expansion): every pass, slice by slice, lane by lane, on this
/// thread. The parallel fill is the same loop with the lanes of each slice
/// shared out between threads.
///
/// # Panics
/// When `memory` does not hold exactly `geometry.blocks()` blocks.
pub fn fill(memory: &mut [Block], geometry: Geometry) {
    assert_eq!(memory.len(), geometry.blocks(), "memory of the wrong size");
    let mut scratch = Scratch::new();
    let blocks = memory.as_mut_ptr();
    for pass in 0..geometry.passes {
        for slice in 0..SYNC_POINTS {
            for lane in 0..geometry.lanes {
                // SAFETY: `memory` is borrowed exclusively for this whole
                // loop and holds `geometry.blocks()` blocks; one segment is
                // filled at a time.
                unsafe { fill_segment(blocks, geometry, pass, slice, lane, &mut scratch) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_rounded_down_to_whole_segments_per_lane() {
        // m' = 4p·⌊m / 4p⌋ (RFC 9106 §3.2 step 5).
        let geometry = Geometry::new(1000, 3, 3).unwrap();
        assert_eq!(geometry.lane_length(), 332);
        assert_eq!(geometry.segment_length(), 83);
        assert_eq!(geometry.blocks(), 996);
        assert_eq!(geometry.index(2, 5), 669);
        assert_eq!(Geometry::new(65536, 3, 4).unwrap().lane_length(), 16384);
    }

    #[test]
    fn what_argon2_refuses_has_no_geometry() {
        assert_eq!(Geometry::new(31, 1, 4), None); // m < 8p
        assert_eq!(Geometry::new(64, 0, 1), None);
        assert_eq!(Geometry::new(64, 1, 0), None);
        assert_eq!(Geometry::new(u32::MAX, 1, u32::MAX), None);
        assert_eq!(Geometry::from_lanes(4, 10, 1), None); // not whole segments
        assert_eq!(Geometry::from_lanes(4, 4, 1), None); // fewer than 8 blocks
        assert!(Geometry::from_lanes(4, 8, 1).is_some());
    }

    #[test]
    #[should_panic(expected = "memory of the wrong size")]
    fn filling_checks_the_memory_it_is_given() {
        let geometry = Geometry::new(32, 1, 4).unwrap();
        fill(&mut [[0; BLOCK_WORDS]; 31], geometry);
    }
}
