//! RSA private keys from DER (PKCS#1 `RSAPrivateKey`, or PKCS#8 wrapping
//! one) straight into OpenSSH's fields. Both formats already hold every
//! number OpenSSH stores (n, e, d, p, q and q⁻¹ mod p), so no big-number
//! arithmetic is needed, and the browser's wasm carries no RSA code: it
//! gets its RSA keys from WebCrypto as PKCS#8.

use der::asn1::UintRef;
use ssh_key::{
    Mpint, PrivateKey,
    private::{KeypairData, RsaKeypair, RsaPrivateKey},
    public::RsaPublicKey,
};

use crate::{Error, KeyProblem};

/// rsaEncryption, the PKCS#8 algorithm of an RSA key.
const RSA_ENCRYPTION: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// The smallest modulus OpenSSH accepts.
const MIN_BITS: usize = 1024;

pub(super) fn from_pkcs1_der(der: &[u8], comment: &str) -> Result<PrivateKey, Error> {
    let key = pkcs1::RsaPrivateKey::try_from(der).map_err(|_| not_rsa())?;
    if key.other_prime_infos.is_some() {
        return Err(Error::Key(KeyProblem::MultiPrimeRsa));
    }
    let mpint = |n: UintRef<'_>| Mpint::from_positive_bytes(n.as_bytes()).map_err(|_| not_rsa());
    let n = key.modulus.as_bytes();
    let bits = n.len() * 8 - n.first().map_or(0, |b| b.leading_zeros() as usize);
    if bits < MIN_BITS {
        return Err(Error::Key(KeyProblem::RsaTooShort { bits }));
    }
    let keypair = RsaKeypair {
        public: RsaPublicKey {
            e: mpint(key.public_exponent)?,
            n: mpint(key.modulus)?,
        },
        private: RsaPrivateKey {
            d: mpint(key.private_exponent)?,
            iqmp: mpint(key.coefficient)?,
            p: mpint(key.prime1)?,
            q: mpint(key.prime2)?,
        },
    };
    PrivateKey::new(KeypairData::Rsa(keypair), comment).map_err(|_| not_rsa())
}

pub(super) fn from_pkcs8_der(der: &[u8], comment: &str) -> Result<PrivateKey, Error> {
    let info = pkcs8::PrivateKeyInfo::try_from(der).map_err(|_| not_rsa())?;
    if info.algorithm.oid != RSA_ENCRYPTION {
        return Err(not_rsa());
    }
    from_pkcs1_der(info.private_key, comment)
}

fn not_rsa() -> Error {
    Error::Key(KeyProblem::NotRsa)
}
