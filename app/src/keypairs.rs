//! SSH keypairs in the browser: made here (RSA by WebCrypto, which runs off
//! the page's thread), the private half sealed in the keyring, the public
//! half, its type and fingerprint in the metadata, so lists show them while
//! the keyring is locked.

use keyhaven_core::{
    keyring::{EntryValue, ssh_private_key_id},
    model::Keypair,
    ssh::{self, Imported, KeyKind, PrivateKey, PublicKey},
};
use leptos::prelude::*;
use rand_core::OsRng;
use secrecy::{ExposeSecret, SecretString};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use zeroize::Zeroizing;

use crate::{
    error::AppError,
    kdf,
    state::{AppState, new_id},
};

/// The choices of the Generate Keypair key type menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyChoice {
    Ed25519,
    Ecdsa,
    Rsa3072,
    Rsa4096,
}

impl KeyChoice {
    pub const ALL: [KeyChoice; 4] = [Self::Ed25519, Self::Ecdsa, Self::Rsa3072, Self::Rsa4096];

    pub fn label(self) -> &'static str {
        match self {
            Self::Ed25519 => "Ed25519",
            Self::Ecdsa => "ECDSA",
            Self::Rsa3072 => "RSA 3072",
            Self::Rsa4096 => "RSA 4096",
        }
    }

    pub fn from_label(label: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|c| c.label() == label)
            .unwrap_or(Self::Ed25519)
    }
}

/// A new private key. Ed25519 and ECDSA P-256 take milliseconds here; RSA
/// is WebCrypto's (seconds for 4096 bits, without blocking the page).
pub async fn generate(choice: KeyChoice, comment: &str) -> Result<PrivateKey, AppError> {
    match choice {
        KeyChoice::Ed25519 => ssh::generate(KeyKind::Ed25519, comment, &mut OsRng),
        KeyChoice::Ecdsa => ssh::generate(KeyKind::EcdsaP256, comment, &mut OsRng),
        KeyChoice::Rsa3072 => return rsa(3072, comment).await,
        KeyChoice::Rsa4096 => return rsa(4096, comment).await,
    }
    .map_err(AppError::from)
}

async fn rsa(bits: u32, comment: &str) -> Result<PrivateKey, AppError> {
    if !crate::components::is_secure_context() {
        return Err(AppError::RsaNeedsHttps);
    }
    let der = webcrypto_rsa_pkcs8(bits)
        .await
        .map_err(|_| AppError::RsaFailed)?;
    Ok(ssh::from_pkcs8_der(&der, comment)?)
}

/// `crypto.subtle.generateKey` RSA, exported as PKCS#8 DER. The exported
/// buffer is zeroed once copied.
async fn webcrypto_rsa_pkcs8(bits: u32) -> Result<Zeroizing<Vec<u8>>, JsValue> {
    let subtle = web_sys::window().ok_or(JsValue::NULL)?.crypto()?.subtle();
    let algorithm = js_sys::Object::new();
    let set = |key: &str, value: &JsValue| js_sys::Reflect::set(&algorithm, &key.into(), value);
    set("name", &"RSASSA-PKCS1-v1_5".into())?;
    set("modulusLength", &bits.into())?;
    set(
        "publicExponent",
        &js_sys::Uint8Array::from(&[1u8, 0, 1][..]).into(),
    )?;
    set("hash", &"SHA-256".into())?;
    let usages = js_sys::Array::of2(&"sign".into(), &"verify".into());
    let pair = JsFuture::from(subtle.generate_key_with_object(&algorithm, true, &usages)?).await?;
    let private: web_sys::CryptoKey =
        js_sys::Reflect::get(&pair, &"privateKey".into())?.dyn_into()?;
    let exported = JsFuture::from(subtle.export_key("pkcs8", &private)?).await?;
    let view = js_sys::Uint8Array::new(&exported);
    let der = Zeroizing::new(view.to_vec());
    view.fill(0, 0, view.length());
    Ok(der)
}

/// The metadata's record of a keypair's public half.
pub fn describe(name: &str, public: &PublicKey) -> Keypair {
    Keypair {
        name: name.to_owned(),
        key_type: public.algorithm().to_string(),
        public_key: ssh::public_line(public),
        fingerprint: ssh::fingerprint_sha256(public),
    }
}

/// Stores a keypair: the private key in the keyring first, then the public
/// half in the metadata (a private key without its listing is harmless; a
/// listing without its private key is not).
pub async fn save(
    state: AppState,
    id: &str,
    name: &str,
    private: Option<&PrivateKey>,
    public: &PublicKey,
) -> Result<(), AppError> {
    if let Some(private) = private {
        let openssh = ssh::export_private(private, None, &mut OsRng)?;
        state
            .store_entry(
                &ssh_private_key_id(id),
                EntryValue::SshPrivateKey { openssh },
            )
            .await?;
    }
    let (id, record) = (id.to_owned(), describe(name, public));
    state
        .update_metadata(move |m, now, by| m.put_keypair(&id, record.clone(), now, by))
        .await
}

/// What the SSH Keypairs form holds when Save is pressed.
pub struct KeypairInput {
    /// The keypair edited; none for a new one.
    pub id: Option<String>,
    pub name: String,
    /// The private key as pasted, imported or generated (may be empty).
    pub private: SecretString,
    /// Its passphrase, when it is an encrypted OpenSSH key.
    pub passphrase: SecretString,
    pub public: String,
}

/// A saved keypair, as the form shows it afterwards.
pub struct SavedKeypair {
    pub id: String,
    /// The private key as stored (decrypted, OpenSSH); none for a rename.
    pub private: Option<SecretString>,
    pub public: String,
}

/// Saves the SSH Keypairs form: checks the name and that the keys are a
/// pair, then stores them. With the keyring locked, an existing keypair can
/// only be renamed (its keys are sealed); the unlock prompt opens for the
/// rest.
pub async fn save_form(state: AppState, form: KeypairInput) -> Result<SavedKeypair, AppError> {
    let name = form.name.trim();
    state
        .metadata
        .with_untracked(|m| m.check_credential_name(name, form.id.as_deref()))?;
    if form.private.expose_secret().trim().is_empty() {
        return match form.id {
            Some(id) if !state.is_unlocked() => {
                rename(state, &id, name, &form.public).await?;
                Ok(SavedKeypair {
                    id,
                    private: None,
                    public: form.public,
                })
            }
            _ => Err(ssh::check_pair(None, Some(&form.public))
                .err()
                .map_or(AppError::NoKey, AppError::from)),
        };
    }
    if state.vault.keyring.with_untracked(Option::is_none) {
        return Err(AppError::NoKeyring);
    }
    if !state.is_unlocked() {
        state.prompts.unlock_dismissed.set(false);
        return Err(AppError::Locked);
    }
    let key = read_private_key(
        form.private.expose_secret(),
        form.passphrase.expose_secret(),
    )
    .await?;
    let public = ssh::check_pair(Some(&key), Some(&form.public))?;
    let id = form.id.unwrap_or_else(new_id);
    save(state, &id, name, Some(&key), &public).await?;
    Ok(SavedKeypair {
        id,
        // Stored decrypted: the form shows what is stored.
        private: ssh::export_private(&key, None, &mut OsRng).ok(),
        public: ssh::public_line(&public),
    })
}

/// Renames a keypair without touching its keys (all a locked keyring
/// allows).
async fn rename(state: AppState, id: &str, name: &str, public: &str) -> Result<(), AppError> {
    let Some(mut keypair) = state.metadata.with_untracked(|m| m.keypair(id).cloned()) else {
        return Err(AppError::Gone);
    };
    if public.trim() != keypair.public_key.trim() {
        state.prompts.unlock_dismissed.set(false);
        return Err(AppError::KeysNeedUnlock);
    }
    keypair.name = name.to_owned();
    let id = id.to_owned();
    state
        .update_metadata(move |m, now, by| m.put_keypair(&id, keypair.clone(), now, by))
        .await
}

/// A pasted private key, decrypted with `passphrase` when it needs one.
/// bcrypt-pbkdf (about 150 ms here) runs in the worker, not on this thread.
pub async fn read_private_key(text: &str, passphrase: &str) -> Result<PrivateKey, AppError> {
    match ssh::import_private_key(text)? {
        Imported::Plain(key) => Ok(key),
        encrypted if passphrase.is_empty() => {
            drop(encrypted);
            Err(AppError::KeyNeedsPassphrase)
        }
        encrypted => match encrypted.kdf_request() {
            Some((salt, rounds, length)) => {
                let okm = kdf::bcrypt(passphrase.as_bytes(), &salt, rounds, length).await?;
                Ok(encrypted.decrypt_with_kdf_output(&okm)?)
            }
            // AES-GCM keys: ssh-key decrypts them itself, here.
            None => Ok(encrypted.decrypt(passphrase)?),
        },
    }
}

/// A new keypair for the form: the private key as OpenSSH text and the
/// public line.
pub async fn generate_for_form(
    choice: KeyChoice,
    comment: &str,
) -> Result<(SecretString, String), AppError> {
    let key = generate(choice, comment).await?;
    let text = ssh::export_private(&key, None, &mut OsRng)?;
    Ok((text, ssh::public_line(key.public_key())))
}

/// Deletes a keypair and the `connections` using it: its private key
/// leaves the keyring (which needs it unlocked; the prompt opens when not),
/// then the keypair and the connections leave the metadata in one write.
pub async fn remove(state: AppState, id: &str, connections: Vec<String>) -> Result<(), AppError> {
    let entry = ssh_private_key_id(id);
    if state
        .vault
        .keyring
        .with_untracked(|k| k.as_ref().is_some_and(|k| k.contains(&entry)))
    {
        if !state.is_unlocked() {
            state.prompts.unlock_dismissed.set(false);
            return Err(AppError::Locked);
        }
        state.remove_entry(&entry).await?;
    }
    let id = id.to_owned();
    state
        .update_metadata(move |m, now, by| {
            for connection in &connections {
                m.remove_connection(connection, now, by);
            }
            m.remove_keypair(&id, now, by);
        })
        .await
}

/// The stored private key (OpenSSH text); needs the keyring unlocked.
pub fn private_key(state: AppState, id: &str) -> Result<SecretString, AppError> {
    match state.entry(&ssh_private_key_id(id)) {
        Ok(Some(EntryValue::SshPrivateKey { openssh })) => Ok(openssh),
        Ok(_) => Err(AppError::NoPrivateKey),
        Err(e) => Err(e),
    }
}

/// The public key of the stored private key (OpenSSH line): what is sent
/// to a remote to authorize, whatever the metadata says.
pub fn public_key_of(state: AppState, id: &str) -> Result<String, AppError> {
    let private = private_key(state, id)?;
    let key = PrivateKey::from_openssh(private.expose_secret())
        .map_err(|_| AppError::UnreadablePrivateKey)?;
    Ok(ssh::public_line(key.public_key()))
}

/// `<name>_private_key_<type>` / `<name>_public_key_<type>`, as TrueNAS
/// names the files.
pub fn file_names(keypair: &Keypair) -> (String, String) {
    let kind =
        ssh::parse_public_key(&keypair.public_key).map_or("key", |public| ssh::file_type(&public));
    (
        format!("{}_private_key_{kind}", keypair.name),
        format!("{}_public_key_{kind}", keypair.name),
    )
}

/// The public key to hand to the user (Download, Copy): derived from the
/// private key in the keyring, never the metadata's line, which the server
/// could have swapped for its own key. A keypair with no private key in the
/// keyring gives its stored line only if its seal verifies. Locked: none.
pub fn public_to_hand_out(state: AppState, id: &str) -> Result<String, AppError> {
    match public_key_of(state, id) {
        Err(AppError::NoPrivateKey) => state.trusted_keypair(id).map(|k| k.public_key),
        derived => derived,
    }
}

/// Saves the public key file (derived, see [`public_to_hand_out`]).
pub fn download_public(state: AppState, id: &str, keypair: &Keypair) -> Result<(), AppError> {
    let line = public_to_hand_out(state, id)?;
    public_file(keypair, &line);
    Ok(())
}

/// Saves `line` as `keypair`'s public key file. Only for a line that comes
/// from a trusted source: derived ([`download_public`]), or a system's own
/// keychain as that system answered.
pub fn public_file(keypair: &Keypair, line: &str) {
    let (_, public) = file_names(keypair);
    crate::download::key_file(&public, &format!("{line}\n"));
}

pub fn download_private(state: AppState, id: &str, keypair: &Keypair) -> Result<(), AppError> {
    let private = private_key(state, id)?;
    let (name, _) = file_names(keypair);
    crate::download::key_file(&name, private.expose_secret());
    Ok(())
}
