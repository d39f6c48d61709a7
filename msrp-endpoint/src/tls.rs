//! TLS settings for `msrps` (RFC 4975 §14.2; TLS 1.2 or later, RFC 8996).
//!
//! Certificates and keys come from PEM files; server names are verified by
//! default. Peer-to-peer deployments with self-signed certificates either
//! trust the peer's certificate as a CA ([`TlsClient::with_ca_file`]) or,
//! for tests only, skip verification ([`TlsClient::insecure`]).

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

use crate::Error;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// RFC 8996: TLS 1.0 and 1.1 are deprecated for MSRP; rustls offers 1.2
/// and 1.3 only, and both are enabled.
const VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

fn config_error(what: &str, err: impl std::fmt::Display) -> Error {
    Error::Config(format!("{what}: {err}"))
}

/// Reads every certificate of a PEM file.
pub fn load_certs(path: impl AsRef<Path>) -> Result<Vec<CertificateDer<'static>>, Error> {
    let path = path.as_ref();
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            config_error(
                &format!("cannot read certificates from {}", path.display()),
                e,
            )
        })?;
    if certs.is_empty() {
        return Err(Error::Config(format!(
            "no certificate in {}",
            path.display()
        )));
    }
    Ok(certs)
}

/// Reads the private key of a PEM file (PKCS#8, PKCS#1 or SEC1).
pub fn load_key(path: impl AsRef<Path>) -> Result<PrivateKeyDer<'static>, Error> {
    let path = path.as_ref();
    PrivateKeyDer::from_pem_file(path).map_err(|e| {
        config_error(
            &format!("cannot read a private key from {}", path.display()),
            e,
        )
    })
}

/// TLS settings of the side that connects.
#[derive(Debug, Clone)]
pub struct TlsClient {
    pub(crate) config: Arc<ClientConfig>,
}

impl TlsClient {
    /// Trusts the certificates in `roots` and verifies server names.
    pub fn with_roots(roots: RootCertStore) -> Result<Self, Error> {
        let config = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(VERSIONS)
            .map_err(|e| config_error("TLS versions", e))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self {
            config: Arc::new(config),
        })
    }

    /// Trusts the certificates of a PEM file (a CA, or a peer's self-signed
    /// certificate) and verifies server names.
    pub fn with_ca_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::with_ca_certs(load_certs(path)?)
    }

    /// Trusts these certificates and verifies server names.
    pub fn with_ca_certs(certs: Vec<CertificateDer<'static>>) -> Result<Self, Error> {
        let mut roots = RootCertStore::empty();
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| config_error("unusable CA certificate", e))?;
        }
        Self::with_roots(roots)
    }

    /// Accepts any certificate: no protection against an active attacker.
    /// For tests, or when the certificate is checked some other way (the
    /// SDP `a=fingerprint` of RFC 4572, say).
    pub fn insecure() -> Self {
        let provider = provider();
        let verifier = AcceptAnyCertificate {
            algorithms: provider.signature_verification_algorithms,
        };
        let config = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(VERSIONS)
            .map(|b| {
                b.dangerous()
                    .with_custom_certificate_verifier(Arc::new(verifier))
                    .with_no_client_auth()
            });
        match config {
            Ok(config) => Self {
                config: Arc::new(config),
            },
            // The ring provider supports both versions, so this cannot fail;
            // fall back to an empty trust store rather than panic.
            Err(_) => Self {
                config: Arc::new(
                    ClientConfig::builder()
                        .with_root_certificates(RootCertStore::empty())
                        .with_no_client_auth(),
                ),
            },
        }
    }

    /// Uses a rustls configuration as given.
    pub fn from_config(config: Arc<ClientConfig>) -> Self {
        Self { config }
    }

    /// The rustls configuration.
    pub fn config(&self) -> &Arc<ClientConfig> {
        &self.config
    }
}

/// TLS settings of the side that accepts.
#[derive(Debug, Clone)]
pub struct TlsServer {
    pub(crate) config: Arc<ServerConfig>,
}

impl TlsServer {
    /// A certificate chain and its private key from PEM files.
    pub fn from_pem_files(cert: impl AsRef<Path>, key: impl AsRef<Path>) -> Result<Self, Error> {
        Self::from_der(load_certs(cert)?, load_key(key)?)
    }

    /// A certificate chain and its private key.
    pub fn from_der(
        certs: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, Error> {
        let config = ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(VERSIONS)
            .map_err(|e| config_error("TLS versions", e))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| config_error("certificate and key do not match", e))?;
        Ok(Self {
            config: Arc::new(config),
        })
    }

    /// Uses a rustls configuration as given.
    pub fn from_config(config: Arc<ServerConfig>) -> Self {
        Self { config }
    }

    /// The rustls configuration.
    pub fn config(&self) -> &Arc<ServerConfig> {
        &self.config
    }
}

/// The server name to verify for a host of an MSRP URI.
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, Error> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host.to_owned())
        .map_err(|e| config_error(&format!("`{host}` is not a TLS server name"), e))
}

/// Skips certificate verification but still checks handshake signatures.
#[derive(Debug)]
struct AcceptAnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
