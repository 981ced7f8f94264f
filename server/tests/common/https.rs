//! A rustls client for the server's own TLS, trusting exactly the
//! certificates it is given (the server's self-signed one, or the test's),
//! and telling which certificate the server presented.

use std::{net::SocketAddr, sync::Arc};

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{HeaderMap, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_rustls::{
    TlsConnector,
    rustls::{
        ClientConfig, RootCertStore,
        client::Resumption,
        crypto::aws_lc_rs,
        pki_types::{CertificateDer, ServerName, pem::PemObject},
    },
};

pub(crate) struct Https {
    connector: TlsConnector,
    addr: SocketAddr,
    host: String,
}

/// One answer, and the leaf certificate (DER) the server presented.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub certificate: Vec<u8>,
}

/// The certificates in a PEM file.
pub(crate) fn read_pem(path: &std::path::Path) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_file_iter(path)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

impl Https {
    /// A client for `https://host:port` that trusts only `trusted`.
    pub(crate) fn trusting(url: &str, trusted: &[CertificateDer<'static>]) -> Self {
        let authority = url.strip_prefix("https://").expect("an https URL");
        let addr: SocketAddr = authority.parse().expect("an address and port");
        let mut roots = RootCertStore::empty();
        for certificate in trusted {
            roots.add(certificate.clone()).unwrap();
        }
        let mut config =
            ClientConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth();
        // A resumed session shows the certificate of the session it
        // resumes; each request here must see the one served now.
        config.resumption = Resumption::disabled();
        Self {
            connector: TlsConnector::from(Arc::new(config)),
            addr,
            host: addr.ip().to_string(),
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Result<Answer, String> {
        self.send("GET", path, None).await
    }

    pub(crate) async fn post_json(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> Result<Answer, String> {
        self.send("POST", path, Some(body)).await
    }

    /// One request on a fresh connection (so each sees the certificate
    /// the server presents now).
    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<Answer, String> {
        let tcp = TcpStream::connect(self.addr)
            .await
            .map_err(|e| e.to_string())?;
        let name = ServerName::try_from(self.host.clone()).map_err(|e| e.to_string())?;
        let tls = self
            .connector
            .connect(name, tcp)
            .await
            .map_err(|e| e.to_string())?;
        let certificate = tls.get_ref().1.peer_certificates().unwrap()[0].to_vec();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.addr.to_string());
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let response = sender
            .send_request(request.body(Full::new(Bytes::from(body))).unwrap())
            .await
            .map_err(|e| e.to_string())?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body,
            certificate,
        })
    }
}
