//! Shared test harness: the real server on a real socket, over a real SQLite
//! file or a real PostgreSQL started here, and a real sshd.
#![allow(dead_code)]

pub(crate) mod https;
pub(crate) mod postgres;
pub(crate) mod process;
pub(crate) mod sshd;

use std::{net::SocketAddr, sync::Arc};

use clap::Parser;
use keyhaven_server::{AppState, Config, app, store};
use tokio::net::TcpListener;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// Keeps a test's database (and its server) alive.
pub(crate) struct TestServer {
    pub url: String,
    pub client: reqwest::Client,
    pub state: AppState,
    /// The database it runs on (a second server may share it).
    pub database_url: String,
    _data: tempfile::TempDir,
    _postgres: Option<Arc<postgres::Cluster>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    pub(crate) async fn start(backend: Backend) -> Self {
        Self::start_with(backend, |_| {}).await
    }

    pub(crate) async fn start_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> Self {
        let data = tempfile::tempdir().unwrap();
        let mut config = Config::try_parse_from([
            "keyhaven-server",
            "--data-dir",
            data.path().to_str().unwrap(),
            "--dist",
            data.path().join("dist").to_str().unwrap(),
            // Tests sign up many accounts from one address; the ones about
            // the throttle set their own.
            "--signups-per-hour",
            "100000",
        ])
        .unwrap();
        let mut cluster = None;
        if let Backend::Postgres = backend {
            let shared = postgres::Cluster::shared();
            config.database_url = Some(shared.new_database().await);
            cluster = Some(shared);
        }
        configure(&mut config);
        let database_url = config.effective_database_url();
        let store = store::open(&database_url).await.unwrap();
        let state = AppState::new(store, &config);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let service = app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let task = tokio::spawn(async move {
            axum::serve(listener, service).await.unwrap();
        });
        Self {
            url,
            client: client(),
            state,
            database_url,
            _data: data,
            _postgres: cluster,
            task,
        }
    }

    pub(crate) fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.url)
    }

    /// A new client (its own cookie jar) signed in as a new account.
    pub(crate) async fn signed_in(&self, username: &str) -> reqwest::Client {
        let client = client();
        let response = client
            .post(self.api("/accounts"))
            .json(&serde_json::json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        client
    }
}

pub(crate) const PASSWORD: &str = "correct horse battery";

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

/// Runs each listed `async fn(Backend)` once on SQLite and once on
/// PostgreSQL, as separate tests.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Postgres).await
                }
            )*
        }
    };
}
