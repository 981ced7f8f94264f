//! Reading private keys as people have them: OpenSSH (also encrypted),
//! PEM PKCS#1 (`BEGIN RSA PRIVATE KEY`), PKCS#8 (`BEGIN PRIVATE KEY`) and
//! SEC1 (`BEGIN EC PRIVATE KEY`), copied with CRLF line ends, surrounding
//! blanks or re-wrapped lines.

use ssh_key::{
    PrivateKey,
    private::{EcdsaKeypair, Ed25519Keypair, KeypairData},
};

use zeroize::Zeroizing;

use crate::{Error, KeyProblem};

/// An imported private key, or one that needs its passphrase first.
pub enum Imported {
    /// A key without a passphrase.
    Plain(PrivateKey),
    /// An encrypted OpenSSH key: call [`Imported::decrypt`].
    Encrypted(PrivateKey),
}

impl std::fmt::Debug for Imported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Plain(_) => "Imported::Plain([REDACTED])",
            Self::Encrypted(_) => "Imported::Encrypted",
        })
    }
}

impl Imported {
    /// For an encrypted key: bcrypt-pbkdf's salt and rounds, and how many
    /// bytes to derive, so the slow KDF can run off the page's thread
    /// ([`bcrypt_kdf`]) before [`Imported::decrypt_with_kdf_output`]. `None`
    /// for a plain key, or a cipher this path doesn't take (AES-GCM keys
    /// use [`Imported::decrypt`]).
    pub fn kdf_request(&self) -> Option<(Vec<u8>, u32, usize)> {
        let Self::Encrypted(key) = self else {
            return None;
        };
        let (key_len, iv_len) = key.cipher().key_and_iv_size()?;
        match key.kdf() {
            ssh_key::Kdf::Bcrypt { salt, rounds } if !key.cipher().has_tag() => {
                Some((salt.clone(), *rounds, key_len + iv_len))
            }
            _ => None,
        }
    }

    /// Decrypts with the bytes [`bcrypt_kdf`] derived from the passphrase.
    pub fn decrypt_with_kdf_output(self, okm: &[u8]) -> Result<PrivateKey, Error> {
        match self {
            Self::Plain(key) => Ok(key),
            Self::Encrypted(key) => {
                super::private_section::decrypt_with(&key, okm).ok_or_else(wrong_passphrase)
            }
        }
    }

    /// Decrypts an encrypted key (a plain one is returned as it is).
    pub fn decrypt(self, passphrase: &str) -> Result<PrivateKey, Error> {
        match self {
            Self::Plain(key) => Ok(key),
            Self::Encrypted(key) => key
                .decrypt(passphrase)
                .ok()
                .or_else(|| super::private_section::decrypt(&key, passphrase))
                .ok_or_else(wrong_passphrase),
        }
    }
}

fn wrong_passphrase() -> Error {
    Error::Key(KeyProblem::WrongPassphrase)
}

/// bcrypt-pbkdf as OpenSSH uses it for encrypted keys (`length` bytes: the
/// cipher's key and IV). Slow on purpose: the app runs it in its worker.
pub fn bcrypt_kdf(
    passphrase: &[u8],
    salt: &[u8],
    rounds: u32,
    length: usize,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    if rounds == 0 || rounds > 1_000 || length == 0 || length > 64 || salt.is_empty() {
        return Err(Error::Key(KeyProblem::EncryptionOutOfRange));
    }
    let mut out = Zeroizing::new(vec![0u8; length]);
    bcrypt_pbkdf::bcrypt_pbkdf(passphrase, salt, rounds, &mut out)
        .map_err(|_| Error::Key(KeyProblem::EncryptionOutOfRange))?;
    Ok(out)
}

/// Reads a private key in any supported format.
pub fn import_private_key(text: &str) -> Result<Imported, Error> {
    let (label, headers, body) = split_pem(text)?;
    if headers
        .iter()
        .any(|h| h.starts_with("Proc-Type") || h.starts_with("DEK-Info"))
    {
        return Err(unsupported_encryption());
    }
    match label.as_str() {
        "OPENSSH PRIVATE KEY" => {
            let key = PrivateKey::from_openssh(pem(&label, &body, 70))
                .ok()
                .or_else(|| super::private_section::repair_unencrypted(&body))
                .ok_or_else(invalid)?;
            Ok(if key.is_encrypted() {
                Imported::Encrypted(key)
            } else {
                Imported::Plain(key)
            })
        }
        "RSA PRIVATE KEY" => {
            let der = Zeroizing::new(base64(&body)?);
            super::rsa_der::from_pkcs1_der(&der, "")
                .map(Imported::Plain)
                .map_err(|_| invalid())
        }
        "EC PRIVATE KEY" => {
            let text = pem(&label, &body, 64);
            if let Ok(key) = p256::SecretKey::from_sec1_pem(&text) {
                return ecdsa_p256(key);
            }
            let der = Zeroizing::new(base64(&body)?);
            match super::ec_der::from_sec1_der(&der, None) {
                Some(key) => key.map(Imported::Plain),
                None => Err(invalid()),
            }
        }
        "PRIVATE KEY" => {
            use pkcs8::DecodePrivateKey;
            let text = pem(&label, &body, 64);
            if let Ok(key) = ed25519_dalek::SigningKey::from_pkcs8_pem(&text) {
                return plain(KeypairData::Ed25519(Ed25519Keypair::from(key)));
            }
            if let Ok(key) = p256::SecretKey::from_pkcs8_pem(&text) {
                return ecdsa_p256(key);
            }
            let der = Zeroizing::new(base64(&body)?);
            if let Some(key) = super::ec_der::from_pkcs8_der(&der) {
                return key.map(Imported::Plain);
            }
            if let Ok(key) = super::rsa_der::from_pkcs8_der(&der, "") {
                return Ok(Imported::Plain(key));
            }
            Err(invalid())
        }
        "ENCRYPTED PRIVATE KEY" => Err(unsupported_encryption()),
        label if label.contains("PUBLIC KEY") => Err(Error::Key(KeyProblem::PublicWherePrivate)),
        _ => Err(invalid()),
    }
}

fn invalid() -> Error {
    Error::Key(KeyProblem::Unreadable)
}

fn unsupported_encryption() -> Error {
    Error::Key(KeyProblem::OldEncryption)
}

/// Finds the PEM block and returns its label, header lines and base64 body
/// with every blank, CR and line break removed.
fn split_pem(text: &str) -> Result<(String, Vec<String>, String), Error> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let begin = text.find("-----BEGIN ").ok_or_else(|| {
        if text.trim().is_empty() {
            Error::Key(KeyProblem::Missing)
        } else {
            invalid()
        }
    })?;
    let rest = &text[begin + "-----BEGIN ".len()..];
    let label_end = rest.find("-----").ok_or_else(invalid)?;
    let label = rest[..label_end].trim().to_owned();
    let rest = &rest[label_end + 5..];
    let end_marker = format!("-----END {label}-----");
    let end = rest.find(&end_marker).ok_or_else(|| {
        Error::Key(KeyProblem::CutShort {
            label: label.clone(),
        })
    })?;
    let mut headers = Vec::new();
    let mut body = String::new();
    for line in rest[..end].lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.contains(':') {
            headers.push(line.to_owned());
        } else {
            body.extend(line.chars().filter(|c| !c.is_whitespace()));
        }
    }
    Ok((label, headers, body))
}

/// A canonical PEM text with the body wrapped at `width` columns.
fn pem(label: &str, body: &str, width: usize) -> String {
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in body.as_bytes().chunks(width) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn plain(data: KeypairData) -> Result<Imported, Error> {
    PrivateKey::new(data, "")
        .map(Imported::Plain)
        .map_err(|_| invalid())
}

/// The DER inside a PEM body.
fn base64(body: &str) -> Result<Vec<u8>, Error> {
    use base64ct::{Base64, Encoding};
    Base64::decode_vec(body).map_err(|_| invalid())
}

fn ecdsa_p256(key: p256::SecretKey) -> Result<Imported, Error> {
    let public =
        p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&key.public_key(), false);
    plain(KeypairData::Ecdsa(EcdsaKeypair::NistP256 {
        public,
        private: key.into(),
    }))
}
