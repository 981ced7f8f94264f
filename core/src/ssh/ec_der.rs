//! P-384 and P-521 private keys from SEC1 / PKCS#8 DER, using the public
//! point the file carries (OpenSSL always writes it) instead of computing
//! it: the browser's wasm then needs no P-384/P-521 arithmetic. The parts
//! are handed to ssh-key in OpenSSH's own private-key encoding.

use der::asn1::ObjectIdentifier;
use ssh_key::{PrivateKey, private::KeypairData};
use zeroize::Zeroizing;

use crate::{Error, KeyProblem};

const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");

/// An EC key of a curve this module reads, or `None` (try something else).
pub(super) fn from_sec1_der(
    der: &[u8],
    curve: Option<ObjectIdentifier>,
) -> Option<Result<PrivateKey, Error>> {
    let key = sec1::EcPrivateKey::try_from(der).ok()?;
    let curve = key
        .parameters
        .and_then(sec1::EcParameters::named_curve)
        .or(curve)?;
    let (name, size) = match curve {
        c if c == P384 => ("nistp384", 48),
        c if c == P521 => ("nistp521", 66),
        _ => return None,
    };
    Some(build(name, size, key.private_key, key.public_key))
}

/// A PKCS#8 `PRIVATE KEY` holding a P-384 or P-521 key, or `None`.
pub(super) fn from_pkcs8_der(der: &[u8]) -> Option<Result<PrivateKey, Error>> {
    let info = pkcs8::PrivateKeyInfo::try_from(der).ok()?;
    if info.algorithm.oid != EC_PUBLIC_KEY {
        return None;
    }
    let curve = info.algorithm.parameters_oid().ok()?;
    from_sec1_der(info.private_key, Some(curve))
}

/// `string "ecdsa-sha2-<name>" string "<name>" string Q mpint d`, as in an
/// OpenSSH private key, read back by ssh-key.
fn build(
    name: &str,
    size: usize,
    scalar: &[u8],
    public: Option<&[u8]>,
) -> Result<PrivateKey, Error> {
    let public = public.ok_or(Error::Key(KeyProblem::EcLacksPublic))?;
    let scalar = scalar.strip_prefix(&[0]).unwrap_or(scalar);
    if scalar.len() > size || public.first() != Some(&4) || public.len() != 1 + 2 * size {
        return Err(invalid());
    }
    // The scalar padded to the curve's size, with a leading zero when its
    // top bit is set (an mpint is signed).
    let mut d = Zeroizing::new(vec![0u8; size - scalar.len()]);
    d.extend_from_slice(scalar);
    if d[0] >= 0x80 {
        d.insert(0, 0);
    }
    let mut blob = Zeroizing::new(Vec::new());
    for field in [
        format!("ecdsa-sha2-{name}").as_bytes(),
        name.as_bytes(),
        public,
        &d,
    ] {
        blob.extend_from_slice(&(field.len() as u32).to_be_bytes());
        blob.extend_from_slice(field);
    }
    let data = <KeypairData as ssh_encoding::Decode>::decode(&mut blob.as_slice())
        .map_err(|_| invalid())?;
    PrivateKey::new(data, "").map_err(|_| invalid())
}

fn invalid() -> Error {
    Error::Key(KeyProblem::EcUnreadable)
}
