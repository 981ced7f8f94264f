//! Sealing metadata under the data key. The metadata document is plaintext
//! on the server, so the fields that decide where a secret goes (a system's
//! URL, a public key, a connection's host keys) are also kept encrypted,
//! bound to their item, under this keyring's data key: a server that
//! rewrites them can't rewrite the seal, and the sealed copy says what the
//! value was before.

use chacha20poly1305::{
    XNonce,
    aead::{Aead, Payload},
};
use rand_core::CryptoRngCore;
use zeroize::Zeroizing;

use super::{Unlocked, random, wire::Writer};

const AD_METADATA: &[u8] = b"keyhaven metadata v1 seal";

impl Unlocked {
    /// `plain` encrypted for the item at `place` (its kind and id):
    /// nonce ‖ ciphertext.
    pub(crate) fn seal_metadata(
        &self,
        place: &[u8],
        plain: &[u8],
        rng: &mut impl CryptoRngCore,
    ) -> Vec<u8> {
        let nonce: [u8; 24] = random(rng);
        let mut out = nonce.to_vec();
        let sealed = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: &self.metadata_ad(place),
                },
            )
            .expect("encryption of a bounded message succeeds");
        out.extend_from_slice(&sealed);
        out
    }

    /// The plaintext of a seal made by [`Unlocked::seal_metadata`] for the
    /// same place with this data key; `None` for anything else.
    pub(crate) fn open_metadata(&self, place: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        if sealed.len() < 24 + 16 {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(24);
        self.cipher()
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &self.metadata_ad(place),
                },
            )
            .ok()
            .map(Zeroizing::new)
    }

    fn metadata_ad(&self, place: &[u8]) -> Vec<u8> {
        let mut w = Writer::default();
        w.bytes(AD_METADATA).bytes(&self.keyring.id).bytes32(place);
        w.0
    }
}
