//! `fill_lanes`, exported from a wasm module whose memory is imported and
//! shared: each browser thread instantiates this module over the same
//! `WebAssembly.Memory` and fills its lanes of every slice
//! (`public/argon2-lane.js` calls it; `app/src/lanes.rs` lays the memory
//! out and starts the threads).
//!
//! The module is linked with no stack (`-z stack-size=0`, stack first): all
//! instances would share one, so any use of it would be a data race. Code
//! that needs it instead traps at once (the stack pointer wraps below 0).
#![cfg_attr(target_arch = "wasm32", no_std)]

#[cfg(target_arch = "wasm32")]
mod exports {
    use keyhaven_argon2::{Block, Geometry, SYNC_POINTS, Scratch, fill_segment};

    #[panic_handler]
    fn panic(_: &core::panic::PanicInfo) -> ! {
        core::arch::wasm32::unreachable()
    }

    /// Fills lanes `first_lane .. first_lane + lane_count` of slice `slice`
    /// in pass `pass`, in the memory of `lanes × lane_length` blocks at
    /// address `blocks`, with this thread's scratch space at `scratch`.
    /// Returns 0, or 1 when the numbers don't describe an Argon2 memory.
    ///
    /// The caller (one thread of several) keeps the contract of
    /// `fill_segment`: the threads fill different lanes of the same slice
    /// and all of them return before any starts the next slice.
    #[unsafe(no_mangle)]
    pub extern "C" fn fill_lanes(
        blocks: u32,
        scratch: u32,
        lanes: u32,
        lane_length: u32,
        passes: u32,
        pass: u32,
        slice: u32,
        first_lane: u32,
        lane_count: u32,
    ) -> u32 {
        let Some(geometry) = Geometry::from_lanes(lanes, lane_length, passes) else {
            return 1;
        };
        let in_range = pass < passes
            && slice < SYNC_POINTS
            && first_lane.checked_add(lane_count).is_some_and(|end| end <= lanes)
            && blocks % 1024 == 0
            && scratch % 1024 == 0
            && blocks != 0
            && scratch != 0;
        if !in_range {
            return 1;
        }
        // SAFETY: the caller gives this thread its own scratch space and a
        // memory of `geometry.blocks()` blocks (both inside the linear
        // memory, or the accesses trap), and keeps the threads in step as
        // described above.
        unsafe {
            let scratch = &mut *(scratch as usize as *mut Scratch);
            let memory = blocks as usize as *mut Block;
            for lane in first_lane..first_lane + lane_count {
                fill_segment(memory, geometry, pass, slice, lane, scratch);
            }
        }
        0
    }
}
