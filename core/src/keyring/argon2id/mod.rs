//! Argon2id (RFC 9106) in the parts a parallel fill needs: H0 and each
//! lane's first two blocks before the filling, the tag from the last column
//! after it. The filling itself is `keyhaven-argon2`, segment by segment,
//! so the browser's workers can share its lanes (`app/src/lanes.rs`);
//! [`hash`] runs all of it on one thread, as the tests' reference.

use blake2b_simd::Params;
use keyhaven_argon2::{BLOCK_WORDS, Block, Geometry};
use zeroize::Zeroizing;

use super::KdfParams;
use crate::Error;

/// Bytes in a block.
pub const BLOCK_BYTES: usize = BLOCK_WORDS * 8;
/// Bytes of one filling thread's scratch space in a shared memory.
pub const SCRATCH_BYTES: usize = size_of::<keyhaven_argon2::Scratch>();
const VERSION: u32 = 0x13;
const TYPE_ARGON2ID: u32 = 2;

/// What is hashed, besides the cost parameters.
pub struct Inputs<'a> {
    /// Argon2's password P (the passphrase or recovery code's secret).
    pub password: &'a [u8],
    /// Argon2's salt S.
    pub salt: &'a [u8],
    /// Argon2's optional secret key K (the keyring uses none).
    pub secret: &'a [u8],
    /// Argon2's optional associated data X (the keyring uses none).
    pub associated_data: &'a [u8],
    /// Tag length in bytes, at least 4.
    pub tag_length: u32,
}

impl<'a> Inputs<'a> {
    /// What the keyring hashes: a passphrase (or recovery code) and its
    /// salt, no secret key or associated data, a 32-byte key out — the
    /// same answer as [`crate::keyring::derive_kek`].
    pub fn keyring(password: &'a [u8], salt: &'a [u8]) -> Self {
        Self {
            password,
            salt,
            secret: &[],
            associated_data: &[],
            tag_length: 32,
        }
    }
}

/// One Argon2id computation between its start (H0) and its end (the tag).
pub struct Argon2id {
    geometry: Geometry,
    tag_length: u32,
    h0: Zeroizing<[u8; 64]>,
}

impl Argon2id {
    /// Checks the parameters and computes H0 from them and `inputs`.
    pub fn new(inputs: &Inputs<'_>, params: KdfParams) -> Result<Self, Error> {
        params.validate()?;
        let geometry = Geometry::new(params.memory_kib, params.passes, params.lanes)
            .ok_or_else(|| params.out_of_range())?;
        if inputs.tag_length < 4 || inputs.salt.len() < 8 {
            return Err(Error::Damaged(
                "its key-derivation salt is too short".into(),
            ));
        }
        let mut state = Params::new().hash_length(64).to_state();
        for number in [
            params.lanes,
            inputs.tag_length,
            params.memory_kib,
            params.passes,
            VERSION,
            TYPE_ARGON2ID,
        ] {
            state.update(&number.to_le_bytes());
        }
        for field in [
            inputs.password,
            inputs.salt,
            inputs.secret,
            inputs.associated_data,
        ] {
            state.update(&(field.len() as u32).to_le_bytes());
            state.update(field);
        }
        let mut h0 = Zeroizing::new([0; 64]);
        h0.copy_from_slice(state.finalize().as_bytes());
        Ok(Self {
            geometry,
            tag_length: inputs.tag_length,
            h0,
        })
    }

    /// The memory's shape: lanes, lane length, segments.
    pub fn geometry(&self) -> Geometry {
        self.geometry
    }

    /// Blocks 0 and 1 of `lane`, as they sit in memory (little-endian
    /// words): H'(H0 ‖ column ‖ lane).
    pub fn first_blocks(&self, lane: u32) -> Zeroizing<[u8; 2 * BLOCK_BYTES]> {
        let mut blocks = Zeroizing::new([0; 2 * BLOCK_BYTES]);
        for (column, block) in blocks.chunks_exact_mut(BLOCK_BYTES).enumerate() {
            let column = column as u32;
            variable_hash(
                block,
                &[&self.h0[..], &column.to_le_bytes(), &lane.to_le_bytes()],
            );
        }
        blocks
    }

    /// The tag from the last block of every lane, in lane order, as bytes.
    pub fn tag(&self, last_column: &[u8]) -> Zeroizing<Vec<u8>> {
        assert_eq!(
            last_column.len(),
            self.geometry.lanes() as usize * BLOCK_BYTES
        );
        let mut combined = Zeroizing::new([0u8; BLOCK_BYTES]);
        for block in last_column.chunks_exact(BLOCK_BYTES) {
            for (c, b) in combined.iter_mut().zip(block) {
                *c ^= b;
            }
        }
        let mut tag = Zeroizing::new(vec![0; self.tag_length as usize]);
        variable_hash(&mut tag, &[&combined[..]]);
        tag
    }
}

/// All of Argon2id on this thread.
pub fn hash(inputs: &Inputs<'_>, params: KdfParams) -> Result<Zeroizing<Vec<u8>>, Error> {
    let argon = Argon2id::new(inputs, params)?;
    let geometry = argon.geometry();
    let mut memory = Zeroizing::new(vec![[0u64; BLOCK_WORDS]; geometry.blocks()]);
    for lane in 0..geometry.lanes() {
        let first = argon.first_blocks(lane);
        for (column, bytes) in first.chunks_exact(BLOCK_BYTES).enumerate() {
            read_block(&mut memory[geometry.index(lane, column as u32)], bytes);
        }
    }
    keyhaven_argon2::fill(&mut memory, geometry);
    let last = geometry.lane_length() - 1;
    let mut last_column =
        Zeroizing::new(Vec::with_capacity(geometry.lanes() as usize * BLOCK_BYTES));
    for lane in 0..geometry.lanes() {
        for word in memory[geometry.index(lane, last)] {
            last_column.extend_from_slice(&word.to_le_bytes());
        }
    }
    Ok(argon.tag(&last_column))
}

fn read_block(block: &mut Block, bytes: &[u8]) {
    for (word, chunk) in block.iter_mut().zip(bytes.chunks_exact(8)) {
        *word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
    }
}

/// H' (RFC 9106 §3.3): BLAKE2b stretched to `out.len()` bytes.
fn variable_hash(out: &mut [u8], input: &[&[u8]]) {
    let blake2b = |length: usize, parts: &[&[u8]]| {
        let mut state = Params::new().hash_length(length).to_state();
        for part in parts {
            state.update(part);
        }
        state.finalize()
    };
    let length = (out.len() as u32).to_le_bytes();
    let mut parts = vec![&length[..]];
    parts.extend_from_slice(input);
    if out.len() <= 64 {
        out.copy_from_slice(blake2b(out.len(), &parts).as_bytes());
        return;
    }
    let mut v = blake2b(64, &parts);
    out[..32].copy_from_slice(&v.as_bytes()[..32]);
    let mut at = 32;
    while out.len() - at > 64 {
        v = blake2b(64, &[v.as_bytes()]);
        out[at..at + 32].copy_from_slice(&v.as_bytes()[..32]);
        at += 32;
    }
    let rest = out.len() - at;
    out[at..].copy_from_slice(blake2b(rest, &[v.as_bytes()]).as_bytes());
}

#[cfg(test)]
mod tests;
