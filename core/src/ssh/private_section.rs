//! OpenSSH private-key sections handled below ssh-key's API: decrypting
//! with key and IV derived elsewhere (the app's worker runs bcrypt-pbkdf),
//! and rebuilding the unencrypted key from the decrypted section.
//!
//! Also a work-around for ssh-key 0.6, which reads a P-521 private scalar
//! only when it is exactly 66 bytes. OpenSSH writes it as an mpint, without
//! leading zero bytes, so about half of the P-521 keys `ssh-keygen` makes
//! are 65 bytes and would be refused. The section's scalar is padded to 66
//! bytes, which is all that differs.

use base64ct::{Base64, Encoding};
use ssh_key::PrivateKey;

const MAGIC: &[u8] = b"openssh-key-v1\0";
const P521: &[u8] = b"ecdsa-sha2-nistp521";

/// An unencrypted OpenSSH key file with its P-521 scalar padded, if that
/// is what it needed.
pub(super) fn repair_unencrypted(body_base64: &str) -> Option<PrivateKey> {
    let blob = Base64::decode_vec(body_base64).ok()?;
    let mut r = Wire(&blob);
    if r.take(MAGIC.len())? != MAGIC {
        return None;
    }
    let (cipher, kdf, kdf_options) = (r.string()?, r.string()?, r.string()?);
    if cipher != b"none" || r.u32()? != 1 {
        return None;
    }
    let public = r.string()?;
    let section = repair_section(r.string()?)?;
    rebuild(cipher, kdf, kdf_options, public, &section)
}

/// Decrypts an encrypted key with a P-521 scalar ssh-key can't read, pads
/// it, and returns the key. `None` when the passphrase is wrong or the key
/// is something else.
pub(super) fn decrypt(key: &PrivateKey, passphrase: &str) -> Option<PrivateKey> {
    if key.public_key().algorithm().as_str().as_bytes() != P521 || key.cipher().has_tag() {
        return None;
    }
    let (k, iv) = key.kdf().derive_key_and_iv(key.cipher(), passphrase).ok()?;
    let mut section = zeroize::Zeroizing::new(key.key_data().encrypted()?.to_vec());
    key.cipher().decrypt(&k, &iv, &mut section, None).ok()?;
    let section = repair_section(&section)?;
    let public_blob = key.public_key().to_bytes().ok()?;
    rebuild(b"none", b"none", b"", &public_blob, &section)
}

/// An encrypted key decrypted with a key and IV derived elsewhere (the
/// page's worker runs bcrypt-pbkdf): the same key, unencrypted. `None` when
/// the derived bytes came from a wrong passphrase.
pub(super) fn decrypt_with(key: &PrivateKey, okm: &[u8]) -> Option<PrivateKey> {
    let (key_len, iv_len) = key.cipher().key_and_iv_size()?;
    if key.cipher().has_tag() || okm.len() != key_len + iv_len {
        return None;
    }
    let (k, iv) = okm.split_at(key_len);
    let mut section = zeroize::Zeroizing::new(key.key_data().encrypted()?.to_vec());
    key.cipher().decrypt(k, iv, &mut section, None).ok()?;
    let section = repair_section(&section).or_else(|| repad_section(&section))?;
    let public_blob = key.public_key().to_bytes().ok()?;
    rebuild(b"none", b"none", b"", &public_blob, &section)
}

/// A decrypted private section padded for an 8-byte block (the unencrypted
/// form) instead of the cipher's 16: the trailing 1, 2, 3… bytes are
/// replaced. `None` when the check integers differ (a wrong passphrase).
fn repad_section(section: &[u8]) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    let mut r = Wire(section);
    if r.u32()? != r.u32()? {
        return None;
    }
    let pad = usize::from(*section.last()?);
    let padded = pad > 0
        && pad < 16
        && section.len() >= 8 + pad
        && section[section.len() - pad..]
            .iter()
            .enumerate()
            .all(|(i, b)| usize::from(*b) == i + 1);
    let end = if padded {
        section.len() - pad
    } else {
        section.len()
    };
    let mut out = zeroize::Zeroizing::new(section[..end].to_vec());
    let mut next = 1u8;
    while !out.len().is_multiple_of(8) {
        out.push(next);
        next += 1;
    }
    Some(out)
}

/// Checks the check integers (they differ when decryption used the wrong
/// passphrase) and pads a short P-521 scalar.
fn repair_section(section: &[u8]) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    let mut r = Wire(section);
    let (check1, check2) = (r.u32()?, r.u32()?);
    if check1 != check2 {
        return None;
    }
    let key_type = r.string()?;
    if key_type != P521 {
        return None;
    }
    let (curve, point, scalar, comment) = (r.string()?, r.string()?, r.string()?, r.string()?);
    let scalar = scalar.strip_prefix(&[0]).unwrap_or(scalar);
    if scalar.len() > 66 {
        return None;
    }
    let mut out = zeroize::Zeroizing::new(Vec::with_capacity(section.len() + 8));
    out.extend_from_slice(&check1.to_be_bytes());
    out.extend_from_slice(&check2.to_be_bytes());
    for field in [key_type, curve, point] {
        put_string(&mut out, field);
    }
    out.extend_from_slice(&66u32.to_be_bytes());
    out.extend(std::iter::repeat_n(0, 66 - scalar.len()));
    out.extend_from_slice(scalar);
    put_string(&mut out, comment);
    let mut pad = 1u8;
    while out.len() % 8 != 0 {
        out.push(pad);
        pad += 1;
    }
    Some(out)
}

fn rebuild(
    cipher: &[u8],
    kdf: &[u8],
    kdf_options: &[u8],
    public: &[u8],
    section: &[u8],
) -> Option<PrivateKey> {
    let mut blob = zeroize::Zeroizing::new(MAGIC.to_vec());
    for field in [cipher, kdf, kdf_options] {
        put_string(&mut blob, field);
    }
    blob.extend_from_slice(&1u32.to_be_bytes());
    put_string(&mut blob, public);
    put_string(&mut blob, section);
    let body = zeroize::Zeroizing::new(Base64::encode_string(&blob));
    let mut pem = zeroize::Zeroizing::new(String::from("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
    for chunk in body.as_bytes().chunks(70) {
        pem.push_str(std::str::from_utf8(chunk).ok()?);
        pem.push('\n');
    }
    pem.push_str("-----END OPENSSH PRIVATE KEY-----\n");
    PrivateKey::from_openssh(pem.as_bytes()).ok()
}

fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

struct Wire<'a>(&'a [u8]);

impl<'a> Wire<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    fn string(&mut self) -> Option<&'a [u8]> {
        let len = self.u32()? as usize;
        self.take(len)
    }
}
