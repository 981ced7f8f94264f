//! Decoding of base64 that holds nothing secret: the metadata's seals and
//! manifests, which are ciphertext the server already has. `base64ct`
//! decodes in constant time, which is right for private keys and costly
//! here: at 1,000 systems unlocking decodes ~5 MB of seals, and
//! `base64ct` took 53 ms of it in the browser. A table does the same work
//! in a fraction of that. Strict as `base64ct` is: standard alphabet,
//! padded, no whitespace, zero bits after the last byte.

/// Marks a byte outside the alphabet (its high bits set, so one test of
/// four lookups at once finds any of them).
const INVALID: u8 = 0xff;

const TABLE: [u8; 256] = {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < alphabet.len() {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// The bytes `text` encodes, or `None` when it isn't canonical padded
/// base64.
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let padding = text
        .iter()
        .rev()
        .take(2)
        .take_while(|&&b| b == b'=')
        .count();
    let body = &text[..text.len() - padding];
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut quads = body.chunks_exact(4);
    for quad in quads.by_ref() {
        let n = sextets(quad)?;
        out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
    }
    match quads.remainder() {
        [] => {}
        // Two characters carry one byte; the second's low four bits are 0.
        rest @ [_, _] => {
            let n = sextets(rest)?;
            if n & 0xffff != 0 {
                return None;
            }
            out.push((n >> 16) as u8);
        }
        // Three carry two bytes; the third's low two bits are 0.
        rest @ [_, _, _] => {
            let n = sextets(rest)?;
            if n & 0xff != 0 {
                return None;
            }
            out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8]);
        }
        _ => return None,
    }
    Some(out)
}

/// Up to four characters' six bits each, from the top of a 24-bit number.
fn sextets(chars: &[u8]) -> Option<u32> {
    let mut n = 0u32;
    let mut invalid = 0u8;
    for (i, &c) in chars.iter().enumerate() {
        let v = TABLE[usize::from(c)];
        invalid |= v;
        n |= u32::from(v & 0x3f) << (18 - 6 * i);
    }
    (invalid & 0xc0 == 0).then_some(n)
}

#[cfg(test)]
mod tests;
