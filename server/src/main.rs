use anyhow::Context;
use clap::Parser;
use keyhaven_server::{AppState, Config, app, store};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

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
    let url = config.effective_database_url();
    let store = store::open(&url)
        .await
        .with_context(|| format!("opening the database {}", store::redact_url(&url)))?;
    if !config.dist.join("index.html").exists() {
        tracing::warn!(dist = %config.dist.display(), "the web app is not built; only the API is served");
    }
    let state = AppState::new(store, &config);

    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let address = listener.local_addr()?;
    // The one line on stdout: tools (xtask, tests) read the real port from it.
    println!("Keyhaven listening on http://{address}");
    tracing::info!(%address, "serving");

    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
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
