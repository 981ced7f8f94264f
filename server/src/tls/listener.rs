//! One port for both schemes: each new connection's first byte tells a TLS
//! handshake (0x16) from a plain HTTP request, which is answered with a
//! redirect to `https://` and never reaches the app. Handshakes run in
//! tasks of their own, so a slow or silent client holds up nobody else;
//! finished ones are handed to `axum::serve` through a channel.

use std::{io, net::SocketAddr, sync::Arc, time::Duration};

use axum::Router;
use hyper_util::{rt::TokioIo, service::TowerToHyperService};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::mpsc,
};
use tokio_rustls::{TlsAcceptor, server::TlsStream};

/// How long a connection may take to say anything, and then to finish its
/// handshake (or its one plain request).
const FIRST_BYTES_TIMEOUT: Duration = Duration::from_secs(30);
/// The record type of a TLS handshake: every ClientHello starts with it,
/// and no HTTP method does.
const TLS_HANDSHAKE: u8 = 0x16;

pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    /// Starts accepting on `tcp`; plain HTTP connections are served by
    /// `redirect`.
    pub fn new(tcp: TcpListener, acceptor: TlsAcceptor, redirect: Router) -> io::Result<Self> {
        let local = tcp.local_addr()?;
        let (sender, ready) = mpsc::channel(64);
        tokio::spawn(accept_loop(tcp, acceptor, redirect, sender));
        Ok(Self { ready, local })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accept loop only ends when this listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}

async fn accept_loop(
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    redirect: Router,
    ready: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    let redirect = Arc::new(redirect);
    loop {
        let accepted = tokio::select! {
            accepted = tcp.accept() => accepted,
            () = ready.closed() => return,
        };
        match accepted {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                tokio::spawn(sort(
                    stream,
                    peer,
                    acceptor.clone(),
                    redirect.clone(),
                    ready.clone(),
                ));
            }
            Err(error) if is_connection_error(&error) => {}
            Err(error) => {
                // Out of file descriptors, most likely: accepting again at
                // once would spin. Connections wait in the backlog meanwhile.
                tracing::warn!(%error, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }
}

/// TLS goes on to the app; plain HTTP gets its redirect; silence is closed.
async fn sort(
    stream: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    redirect: Arc<Router>,
    ready: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    let mut first = [0u8; 1];
    match tokio::time::timeout(FIRST_BYTES_TIMEOUT, stream.peek(&mut first)).await {
        Ok(Ok(1)) if first[0] == TLS_HANDSHAKE => {
            match tokio::time::timeout(FIRST_BYTES_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    let _ = ready.send((tls, peer)).await;
                }
                Ok(Err(error)) => tracing::debug!(%error, "TLS handshake failed"),
                Err(_) => tracing::debug!("TLS handshake timed out"),
            }
        }
        Ok(Ok(1)) => {
            let service = TowerToHyperService::new((*redirect).clone());
            let connection = hyper::server::conn::http1::Builder::new()
                .keep_alive(false)
                .serve_connection(TokioIo::new(stream), service);
            let _ = tokio::time::timeout(FIRST_BYTES_TIMEOUT, connection).await;
        }
        _ => {}
    }
}

fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}
