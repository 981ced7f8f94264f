use anyhow::Context;
use axum::serve::ListenerExt;
use clap::Parser;
use keyhaven_server::{AppFiles, AppState, Config, app, store, tls};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// The built app, when this binary was built after it (see `build.rs`).
static EMBEDDED_APP: &[keyhaven_server::embedded::EmbeddedFile] =
    include!(concat!(env!("OUT_DIR"), "/embedded_app.rs"));

// glibc's malloc raises its mmap threshold after the first 19 MiB password
// hash is freed, then keeps later ones in its arenas: a burst of 96
// sign-ins peaked at 832 MiB though only two hashes ever ran at once.
// mimalloc gives that memory back (72 MiB peak for the same burst).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("keyhaven_server=info,tower_http=warn")),
        )
        .with_writer(std::io::stderr)
        .init();

    let config = Config::parse();
    if config.hash_rate {
        let rate = keyhaven_server::hash_rate(std::time::Duration::from_secs(3));
        println!("{rate:.1} password checks per second");
        return Ok(());
    }
    let url = config.effective_database_url();
    let store = store::open(&url)
        .await
        .with_context(|| format!("opening the database {}", store::redact_url(&url)))?;
    let mut state = AppState::new(store, &config);
    if config.dist.is_none() && !EMBEDDED_APP.is_empty() {
        state.app_files = AppFiles::Embedded(EMBEDDED_APP);
    }
    if !state.app_files.has_app() {
        tracing::warn!(files = ?state.app_files, "the web app is not built; only the API is served");
    }
    let tls = tls::Tls::from_config(&config)?;

    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let address = listener.local_addr()?;
    let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let Some(tls) = tls else {
        // The last line on stdout: tools (xtask, tests) read the real port from it.
        println!("Keyhaven listening on http://{address}");
        tracing::info!(%address, "serving");
        axum::serve(listener, service)
            .with_graceful_shutdown(shutdown_signal())
            .await?;
        tracing::info!("stopped");
        return Ok(());
    };

    if let Some(redirect) = config.http_redirect_listen {
        let plain = TcpListener::bind(redirect)
            .await
            .with_context(|| format!("listening on {redirect}"))?;
        println!("Redirecting http://{} to https://", plain.local_addr()?);
        tokio::spawn(async move {
            let redirect = tls::redirect::router(address.port());
            if let Err(error) = axum::serve(plain, redirect).await {
                tracing::error!(%error, "the http:// redirect stopped");
            }
        });
    }
    tls.reload_on_change();
    let fingerprint = tls.certificate.fingerprint();
    if tls.self_signed == Some(tls::self_signed::Outcome::Made) {
        println!(
            "Made a self-signed TLS certificate: {}",
            tls.files.cert.display()
        );
    }
    println!("TLS certificate SHA-256 fingerprint: {fingerprint}");
    println!("Keyhaven listening on https://{address}");
    tracing::info!(%address, %fingerprint, "serving over TLS");
    // axum derives `ConnectInfo<SocketAddr>` (the client's address, which
    // the limits count) for a tapped listener of any kind.
    let listener = tls.listener(listener)?.tap_io(|_| ());
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("stopped");
    Ok(())
}

/// Ctrl-C or SIGTERM: stop accepting, finish the requests in flight, exit.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
