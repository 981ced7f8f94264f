//! Argon2's compression function G (RFC 9106 §3.5–3.6): BLAKE2b's round
//! without its message, with BlaMka's multiplications, over a block's rows
//! and then its columns.

use crate::Block;

/// `next = G(prev, reference)`, or on later passes `next ^= G(prev, reference)`
/// (version 0x13). `r` is working space: it leaves holding P(prev ⊕ reference).
#[inline(always)]
pub(crate) fn fill_block(
    prev: &Block,
    reference: &Block,
    next: &mut Block,
    with_xor: bool,
    r: &mut Block,
) {
    for ((r, p), q) in r.iter_mut().zip(prev).zip(reference) {
        *r = p ^ q;
    }
    if with_xor {
        xor_into(next, r);
    } else {
        *next = *r;
    }
    permute(r);
    xor_into(next, r);
}

/// `block = G(0, block)`: how Argon2i's address blocks are made.
#[inline(always)]
pub(crate) fn compress_alone(block: &mut Block, r: &mut Block) {
    *r = *block;
    permute(r);
    xor_into(block, r);
}

#[inline(always)]
fn xor_into(into: &mut Block, from: &Block) {
    for (a, b) in into.iter_mut().zip(from) {
        *a ^= b;
    }
}

/// P over the eight rows (16 consecutive words each), then over the eight
/// columns (pairs of words, one pair from each row).
#[inline(always)]
fn permute(r: &mut Block) {
    for row in 0..8 {
        let b = 16 * row;
        round(r, core::array::from_fn(|k| b + k));
    }
    for column in 0..8 {
        let b = 2 * column;
        round(r, core::array::from_fn(|k| b + (k / 2) * 16 + k % 2));
    }
}

/// One BLAKE2b round over the 16 words of `r` at `at`, kept in locals.
#[inline(always)]
fn round(r: &mut Block, at: [usize; 16]) {
    let mut v: [u64; 16] = core::array::from_fn(|k| r[at[k]]);
    mix(&mut v, 0, 4, 8, 12);
    mix(&mut v, 1, 5, 9, 13);
    mix(&mut v, 2, 6, 10, 14);
    mix(&mut v, 3, 7, 11, 15);
    mix(&mut v, 0, 5, 10, 15);
    mix(&mut v, 1, 6, 11, 12);
    mix(&mut v, 2, 7, 8, 13);
    mix(&mut v, 3, 4, 9, 14);
    for (k, word) in v.into_iter().enumerate() {
        r[at[k]] = word;
    }
}

/// BLAKE2b's G with BlaMka's `a + b + 2·lo(a)·lo(b)` for its additions.
#[inline(always)]
fn mix(v: &mut [u64; 16], a: usize, b: usize, c: usize, d: usize) {
    v[a] = blamka(v[a], v[b]);
    v[d] = (v[d] ^ v[a]).rotate_right(32);
    v[c] = blamka(v[c], v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(24);
    v[a] = blamka(v[a], v[b]);
    v[d] = (v[d] ^ v[a]).rotate_right(16);
    v[c] = blamka(v[c], v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(63);
}

#[inline(always)]
fn blamka(x: u64, y: u64) -> u64 {
    let product = (x & 0xffff_ffff) * (y & 0xffff_ffff);
    x.wrapping_add(y).wrapping_add(product.wrapping_mul(2))
}
