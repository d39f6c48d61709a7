//! A self-signed certificate made at run time for `msrp bench` and
//! `msrp demo`: valid for 127.0.0.1, ::1 and localhost, trusted by the
//! in-process client as its own CA.

use msrp_endpoint::{TlsClient, TlsServer};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Both ends of a TLS setup over one fresh certificate.
pub(crate) struct LocalTls {
    pub(crate) server: TlsServer,
    pub(crate) client: TlsClient,
}

/// Makes a certificate and the server and client settings that use it.
pub(crate) fn local() -> Result<LocalTls, String> {
    let names = vec!["127.0.0.1".into(), "::1".into(), "localhost".into()];
    let certified = rcgen::generate_simple_self_signed(names)
        .map_err(|e| format!("cannot make a certificate: {e}"))?;
    let cert = CertificateDer::from(certified.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let server = TlsServer::from_der(vec![cert.clone()], key).map_err(|e| e.to_string())?;
    let client = TlsClient::with_ca_certs(vec![cert]).map_err(|e| e.to_string())?;
    Ok(LocalTls { server, client })
}
