//! What Keyhaven does with a TrueNAS system: authenticate once (an API key
//! created on the system, stored in the keyring) and check that the stored
//! key still works. Everything runs in the browser; the password is used
//! for one login and forgotten.

use keyhaven_core::{
    keyring::{EntryValue, api_key_id},
    model::{Kind, secret_transport_allowed},
    truenas::calls,
};
use leptos::prelude::WithUntracked;
use secrecy::SecretString;

use crate::{
    error::AppError,
    net::truenas::{Login, TrueNasError, TrueNasSession, login_outcome},
    not_connected::NotConnected,
    state::{AppState, MetadataExt},
    untrusted::Untrusted,
    versions,
};

const TIMEOUT_MS: i32 = 10_000;

pub enum Authenticated {
    /// The system wants a one-time password: ask for it and try again.
    NeedOtp,
    Done,
}

/// Logs in with the admin's password (and one-time password when the system
/// asks), creates an API key, and stores it in the keyring.
pub async fn authenticate(
    state: AppState,
    system_id: &str,
    username: &str,
    password: SecretString,
    otp: Option<String>,
) -> Result<Authenticated, AppError> {
    let system = state
        .metadata
        .get_untracked_system(system_id)
        .ok_or(AppError::Gone)?;
    if !secret_transport_allowed(&system.url) {
        return Err(TrueNasError::Insecure.into());
    }
    // The password goes to the URL the user sees in the dialog; one that
    // changed outside the keyring is refused until the user decides.
    let trust = state
        .with_unlocked(|keyring| {
            state
                .metadata
                .with_untracked(|m| m.trust(Kind::System, system_id, keyring))
        })
        .ok_or(AppError::Locked)?;
    // Not confirmed is refused too: a server that strips the seal must not
    // turn "changed" into "send it anyway".
    if let Some(untrusted) = Untrusted::of(Kind::System, trust) {
        return Err(AppError::Untrusted(untrusted.named(&system.name)));
    }
    let fail = |error: TrueNasError| AppError::AtSystem {
        system: system.name.clone(),
        error,
    };
    let connection = TrueNasSession::open(&system.url, versions::release(system_id), TIMEOUT_MS)
        .await
        .map_err(fail)?;
    let login = connection
        .call(calls::login_password(username, &password), TIMEOUT_MS)
        .await
        .map_err(fail)?;
    match login_outcome(&login) {
        Login::Rejected => return Err(AppError::WrongAdminPassword),
        Login::OtpRequired => {
            let Some(otp) = otp.filter(|o| !o.trim().is_empty()) else {
                return Ok(Authenticated::NeedOtp);
            };
            let second = connection
                .call(calls::login_otp(&otp), TIMEOUT_MS)
                .await
                .map_err(fail)?;
            if login_outcome(&second) != Login::Success {
                return Err(AppError::OtpRejected);
            }
        }
        Login::Success => {}
    }
    drop(password);
    versions::learn(system_id, &connection, TIMEOUT_MS).await;
    // Named so the admin recognizes it on the system's User API Keys screen.
    let name = format!(
        "Keyhaven {}",
        js_sys::Date::new_0()
            .to_iso_string()
            .as_string()
            .unwrap_or_default()
    );
    let created = connection
        .call(calls::api_key_create(&name, username), TIMEOUT_MS)
        .await
        .map_err(fail)?;
    let key = created["key"].as_str().ok_or_else(|| {
        fail(TrueNasError::Unexpected(
            "no key in api_key.create's answer",
        ))
    })?;
    let key_id = created["id"].as_i64();
    let value = EntryValue::ApiKey {
        username: username.to_owned(),
        key: SecretString::from(key.to_owned()),
    };
    state.store_entry(&api_key_id(system_id), value).await?;
    let (id, username) = (system_id.to_owned(), username.to_owned());
    state
        .update_metadata(move |m, now, by| {
            if let Some(mut system) = m.system(&id).cloned() {
                system.api_username = Some(username.clone());
                system.api_key_id = key_id;
                m.put_system(&id, system, now, by);
            }
        })
        .await?;
    Ok(Authenticated::Done)
}

impl From<AppError> for NotConnected {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Locked => Self::Locked,
            AppError::Gone => Self::Gone,
            AppError::Untrusted(reason) => Self::Untrusted(reason),
            AppError::TrueNas(error) => Self::TrueNas(error),
            AppError::Core(error) => Self::Damaged(error),
            // (Not reached: reading the key and the trusted system refuse
            // only as above.)
            other => Self::Unavailable(other.to_string()),
        }
    }
}

/// Opens a connection to a system and logs in with its stored API key;
/// the error says why not (it becomes the Connected column's reason).
pub(crate) async fn login_with_stored_key(
    state: AppState,
    system_id: &str,
) -> Result<TrueNasSession, NotConnected> {
    let Some(EntryValue::ApiKey { username, key }) = state.entry(&api_key_id(system_id))? else {
        return Err(NotConnected::NoKey);
    };
    // The key goes only to the URL this keyring sealed.
    let system = state.trusted_system(system_id)?;
    if !secret_transport_allowed(&system.url) {
        return Err(NotConnected::PlainHttp);
    }
    let connection =
        TrueNasSession::open(&system.url, versions::release(system_id), TIMEOUT_MS).await?;
    let login = connection
        .call(calls::login_api_key(&username, &key), TIMEOUT_MS)
        .await?;
    if login_outcome(&login) != Login::Success {
        return Err(NotConnected::Rejected);
    }
    versions::learn(system_id, &connection, TIMEOUT_MS).await;
    Ok(connection)
}

/// Tries the stored key: `Ok(())` is "True"; the error says why "False".
pub async fn check(state: AppState, system_id: String) -> Result<(), NotConnected> {
    login_with_stored_key(state, &system_id).await.map(drop)
}

/// Deletes the system's API key on the system itself, logged in with that
/// very key (so no password is needed).
pub async fn delete_remote_key(state: AppState, system_id: &str) -> Result<(), NotConnected> {
    let key_id = state
        .trusted_system(system_id)?
        .api_key_id
        .ok_or(NotConnected::UnknownKeyId)?;
    let connection = login_with_stored_key(state, system_id).await?;
    connection
        .call(calls::api_key_delete(key_id), TIMEOUT_MS)
        .await?;
    Ok(())
}

/// Removes a system from Keyhaven: with `delete_remote`, first its API key
/// on the system itself (a failure stops here, so nothing is half done);
/// then the key leaves the keyring and the system the metadata.
pub async fn remove(state: AppState, id: String, delete_remote: bool) -> Result<(), AppError> {
    if delete_remote {
        delete_remote_key(state, &id)
            .await
            .map_err(|e| AppError::RemoteKeyNotDeleted(Box::new(e)))?;
    }
    let entry = api_key_id(&id);
    let has_key = state
        .vault
        .keyring
        .with_untracked(|k| k.as_ref().is_some_and(|k| k.contains(&entry)));
    if has_key {
        state.remove_entry(&entry).await?;
    }
    state
        .update_metadata(move |m, now, by| {
            m.remove_system(&id, now, by);
        })
        .await?;
    Ok(())
}
