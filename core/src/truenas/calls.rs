//! Every call Keyhaven makes to a TrueNAS system, built here and nowhere
//! else: the app can only send a [`Call`], and a `Call` can only come from
//! these functions, each of which core's tests hold to TrueNAS's own
//! schemas for every known version (`truenas-api`). Only public methods:
//! nothing here names `keychaincredential.ssh_pair`.

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

/// The methods of the real API that Keyhaven calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `auth.login_ex`
    LoginEx,
    /// `auth.login_ex_continue`
    LoginExContinue,
    /// `system.info`
    SystemInfo,
    /// `api_key.create`
    ApiKeyCreate,
    /// `api_key.delete`
    ApiKeyDelete,
    /// `api_key.my_keys`
    ApiKeyMyKeys,
    /// `keychaincredential.query`
    KeychainQuery,
    /// `keychaincredential.create`
    KeychainCreate,
    /// `keychaincredential.update`
    KeychainUpdate,
    /// `keychaincredential.delete`
    KeychainDelete,
    /// `keychaincredential.used_by`
    KeychainUsedBy,
    /// `keychaincredential.remote_ssh_host_key_scan`
    HostKeyScan,
    /// `keychaincredential.remote_ssh_semiautomatic_setup`
    SemiautomaticSetup,
    /// `user.query`
    UserQuery,
    /// `user.update`
    UserUpdate,
    /// `ssh.config`
    SshConfig,
    /// `replication.list_datasets`
    ListDatasets,
}

impl Method {
    /// Every method Keyhaven calls.
    pub const ALL: [Method; 17] = [
        Self::LoginEx,
        Self::LoginExContinue,
        Self::SystemInfo,
        Self::ApiKeyCreate,
        Self::ApiKeyDelete,
        Self::ApiKeyMyKeys,
        Self::KeychainQuery,
        Self::KeychainCreate,
        Self::KeychainUpdate,
        Self::KeychainDelete,
        Self::KeychainUsedBy,
        Self::HostKeyScan,
        Self::SemiautomaticSetup,
        Self::UserQuery,
        Self::UserUpdate,
        Self::SshConfig,
        Self::ListDatasets,
    ];

    /// The method's name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Self::LoginEx => "auth.login_ex",
            Self::LoginExContinue => "auth.login_ex_continue",
            Self::SystemInfo => "system.info",
            Self::ApiKeyCreate => "api_key.create",
            Self::ApiKeyDelete => "api_key.delete",
            Self::ApiKeyMyKeys => "api_key.my_keys",
            Self::KeychainQuery => "keychaincredential.query",
            Self::KeychainCreate => "keychaincredential.create",
            Self::KeychainUpdate => "keychaincredential.update",
            Self::KeychainDelete => "keychaincredential.delete",
            Self::KeychainUsedBy => "keychaincredential.used_by",
            Self::HostKeyScan => "keychaincredential.remote_ssh_host_key_scan",
            Self::SemiautomaticSetup => "keychaincredential.remote_ssh_semiautomatic_setup",
            Self::UserQuery => "user.query",
            Self::UserUpdate => "user.update",
            Self::SshConfig => "ssh.config",
            Self::ListDatasets => "replication.list_datasets",
        }
    }
}

/// One JSON-RPC call: a method and its positional arguments. Its
/// arguments may hold a password or an API key, so it never prints them.
pub struct Call {
    method: Method,
    params: Value,
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Call({})", self.method.name())
    }
}

impl Call {
    fn new(method: Method, params: Value) -> Self {
        debug_assert!(params.is_array(), "params are always an array");
        Self { method, params }
    }

    /// The method this call calls.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The arguments as sent (an array).
    pub fn params(&self) -> &Value {
        &self.params
    }

    /// The JSON-RPC 2.0 request text with this id.
    pub fn request(&self, id: u64) -> String {
        json!({"jsonrpc": "2.0", "id": id, "method": self.method.name(), "params": self.params})
            .to_string()
    }
}

/// `auth.login_ex` with the admin's password.
pub fn login_password(username: &str, password: &SecretString) -> Call {
    Call::new(
        Method::LoginEx,
        json!([{"mechanism": "PASSWORD_PLAIN", "username": username,
                "password": password.expose_secret()}]),
    )
}

/// `auth.login_ex` with a stored API key.
pub fn login_api_key(username: &str, key: &SecretString) -> Call {
    Call::new(
        Method::LoginEx,
        json!([{"mechanism": "API_KEY_PLAIN", "username": username,
                "api_key": key.expose_secret()}]),
    )
}

/// `auth.login_ex_continue` with the one-time password the system asked for.
pub fn login_otp(otp: &str) -> Call {
    Call::new(
        Method::LoginExContinue,
        json!([{"mechanism": "OTP_TOKEN", "otp_token": otp.trim()}]),
    )
}

/// `system.info`: the release, to pick the endpoint.
pub fn system_info() -> Call {
    Call::new(Method::SystemInfo, json!([]))
}

/// `api_key.create` for `username`, named so the admin recognizes it on
/// the system's User API Keys screen.
pub fn api_key_create(name: &str, username: &str) -> Call {
    Call::new(
        Method::ApiKeyCreate,
        json!([{"name": name, "username": username}]),
    )
}

/// `api_key.delete` of the key with this id.
pub fn api_key_delete(id: i64) -> Call {
    Call::new(Method::ApiKeyDelete, json!([id]))
}

/// The caller's own API keys, with expiry and revocation.
pub fn api_key_my_keys() -> Call {
    Call::new(Method::ApiKeyMyKeys, json!([]))
}

/// The whole keychain (SSH keypairs, connections and other credentials).
pub fn keychain_query() -> Call {
    Call::new(Method::KeychainQuery, json!([[]]))
}

pub(crate) fn keychain_create(entry: Value) -> Call {
    Call::new(Method::KeychainCreate, json!([entry]))
}

pub(crate) fn keychain_update(id: u64, changes: Value) -> Call {
    Call::new(Method::KeychainUpdate, json!([id, changes]))
}

/// Deletes a credential; with `cascade`, what uses it is deleted or
/// disabled too (without, a credential in use is refused).
pub fn keychain_delete(id: u64, cascade: bool) -> Call {
    Call::new(Method::KeychainDelete, json!([id, {"cascade": cascade}]))
}

/// `keychaincredential.used_by`: what uses a credential there.
pub fn keychain_used_by(id: u64) -> Call {
    Call::new(Method::KeychainUsedBy, json!([id]))
}

/// Discover Remote Host Key, run by the system (`ssh-keyscan` there).
pub fn host_key_scan(host: &str, port: u16, connect_timeout: u32) -> Call {
    Call::new(
        Method::HostKeyScan,
        json!([{"host": host, "port": port, "connect_timeout": connect_timeout}]),
    )
}

/// The Semi-automatic fields, for a setup the system runs itself.
pub struct SemiAutomaticSetup<'a> {
    /// Name of the connection to create.
    pub name: &'a str,
    /// The remote's URL, normalized.
    pub url: &'a str,
    /// The remote's admin user.
    pub admin_username: &'a str,
    /// That user's password (one login, then dropped).
    pub admin_password: &'a SecretString,
    /// Empty is not sent.
    pub otp: &'a str,
    /// The user to log in as for replication.
    pub username: &'a str,
    /// The keypair's id on the system.
    pub keypair: u64,
    /// Connect Timeout, in seconds.
    pub connect_timeout: u32,
    /// Whether the user gets passwordless sudo for zfs.
    pub sudo: bool,
}

/// `keychaincredential.remote_ssh_semiautomatic_setup`: the system logs in
/// to the remote itself and stores the connection.
pub fn semiautomatic_setup(setup: &SemiAutomaticSetup<'_>) -> Call {
    let mut args = json!({
        "name": setup.name, "url": setup.url, "verify_ssl": true,
        "admin_username": setup.admin_username,
        "password": setup.admin_password.expose_secret(),
        "username": setup.username, "private_key": setup.keypair,
        "connect_timeout": setup.connect_timeout, "sudo": setup.sudo,
    });
    if !setup.otp.trim().is_empty() {
        args["otp_token"] = json!(setup.otp.trim());
    }
    Call::new(Method::SemiautomaticSetup, json!([args]))
}

/// The user that will log in over SSH.
pub fn user_query(username: &str) -> Call {
    Call::new(Method::UserQuery, json!([[["username", "=", username]]]))
}

pub(crate) fn user_update(id: u64, changes: Value) -> Call {
    Call::new(Method::UserUpdate, json!([id, changes]))
}

/// The SSH service's settings: its port and public host keys.
pub fn ssh_config() -> Call {
    Call::new(Method::SshConfig, json!([]))
}

/// Has the system log in over SSH with one of its connections and list the
/// remote's datasets: the API's closest thing to "test this connection".
pub fn list_datasets(connection: u64) -> Call {
    Call::new(Method::ListDatasets, json!(["SSH", connection]))
}

#[cfg(test)]
mod tests;
