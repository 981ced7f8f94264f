//! One segment: a lane's blocks within one slice of one pass (RFC 9106
//! §3.4), with Argon2id's choice of addressing: data-independent in the
//! first half of the first pass, data-dependent after.

use crate::{
    BLOCK_WORDS, Block, Geometry, SYNC_POINTS,
    blamka::{compress_alone, fill_block},
};

/// Argon2's type field for Argon2id.
const ARGON2ID: u64 = 2;

/// What a filling thread works in besides the memory: the compression's
/// working block and the address-generation blocks. One per thread; in the
/// wasm module it sits in the shared memory, so the module needs no stack.
#[repr(C)]
pub struct Scratch {
    r: Block,
    input: Block,
    addresses: Block,
}

impl Scratch {
    /// Zeroed scratch space.
    pub const fn new() -> Self {
        Self {
            r: [0; BLOCK_WORDS],
            input: [0; BLOCK_WORDS],
            addresses: [0; BLOCK_WORDS],
        }
    }

    /// The next block of 128 pseudo-random reference positions:
    /// `addresses = G(0, G(0, input))` after bumping the input's counter.
    fn next_addresses(&mut self) {
        self.input[6] += 1;
        self.addresses = self.input;
        compress_alone(&mut self.addresses, &mut self.r);
        compress_alone(&mut self.addresses, &mut self.r);
    }
}

impl Default for Scratch {
    fn default() -> Self {
        Self::new()
    }
}

/// Fills segment `slice` of `lane` in pass `pass`.
///
/// # Safety
/// `memory` points to `geometry.blocks()` initialised blocks. While this
/// runs, nobody else reads or writes this segment's blocks, and nobody
/// writes any other block of the memory it may read: the blocks of earlier
/// slices, or of this lane. Both hold when concurrent calls fill different
/// lanes of the same slice and pass, and all of them return before any call
/// for the next slice starts (Argon2 never references a block of another
/// lane's current segment).
///
/// # Panics
/// When `pass`, `slice` or `lane` is out of range (before touching memory).
pub unsafe fn fill_segment(
    memory: *mut Block,
    geometry: Geometry,
    pass: u32,
    slice: u32,
    lane: u32,
    scratch: &mut Scratch,
) {
    assert!(pass < geometry.passes && slice < SYNC_POINTS && lane < geometry.lanes);
    let lane_length = geometry.lane_length as usize;
    let segment_length = geometry.segment_length();
    let independent = pass == 0 && slice < SYNC_POINTS / 2;
    if independent {
        scratch.input = [0; BLOCK_WORDS];
        scratch.input[0] = pass.into();
        scratch.input[1] = lane.into();
        scratch.input[2] = slice.into();
        scratch.input[3] = geometry.blocks() as u64;
        scratch.input[4] = geometry.passes.into();
        scratch.input[5] = ARGON2ID;
    }
    // The first two blocks of each lane come from H0, not from filling.
    let first = if pass == 0 && slice == 0 {
        if independent {
            scratch.next_addresses();
        }
        2
    } else {
        0
    };
    let start = geometry.index(lane, slice * segment_length + first);
    for (index, current) in (first..segment_length).zip(start..) {
        // A lane's first block follows its last (from the second pass on).
        let previous = if current.is_multiple_of(lane_length) {
            current + lane_length - 1
        } else {
            current - 1
        };
        let random = if independent {
            let at = index as usize % BLOCK_WORDS;
            if at == 0 {
                scratch.next_addresses();
            }
            scratch.addresses[at]
        } else {
            // SAFETY: `previous` is this lane's block before `current`,
            // filled already, and written by nobody now.
            unsafe { (*memory.add(previous))[0] }
        };
        let reference_lane = if pass == 0 && slice == 0 {
            lane
        } else {
            ((random >> 32) % u64::from(geometry.lanes)) as u32
        };
        let column = reference_column(geometry, pass, slice, index, random, reference_lane == lane);
        let reference = geometry.index(reference_lane, column);
        debug_assert!(reference != current && previous != current);
        // SAFETY: all three are inside the memory (`index` < m' by
        // construction); `current` is in this segment, which only this call
        // touches; `previous` and `reference` are blocks Argon2 lets this
        // segment read, which nobody writes now (see the contract above),
        // and neither is `current`.
        unsafe {
            fill_block(
                &*memory.add(previous),
                &*memory.add(reference),
                &mut *memory.add(current),
                pass > 0,
                &mut scratch.r,
            );
        }
    }
}

/// Which column of `reference_lane` block `index` of this segment refers
/// to (RFC 9106 §3.4.1.2): J1 mapped non-uniformly onto the blocks it may
/// reference, which excludes the previous block and, for other lanes, the
/// current slice.
fn reference_column(
    geometry: Geometry,
    pass: u32,
    slice: u32,
    index: u32,
    random: u64,
    same_lane: bool,
) -> u32 {
    let segment_length = geometry.segment_length();
    let lagging = u32::from(index == 0);
    let area = if pass == 0 {
        if slice == 0 || same_lane {
            slice * segment_length + index - 1
        } else {
            slice * segment_length - lagging
        }
    } else if same_lane {
        geometry.lane_length - segment_length + index - 1
    } else {
        geometry.lane_length - segment_length - lagging
    };
    let j1 = random & 0xffff_ffff;
    let x = (j1 * j1) >> 32;
    let y = (u64::from(area) * x) >> 32;
    let relative = u64::from(area) - 1 - y;
    let start = if pass == 0 || slice == SYNC_POINTS - 1 {
        0
    } else {
        (slice + 1) * segment_length
    };
    ((u64::from(start) + relative) % u64::from(geometry.lane_length)) as u32
}
