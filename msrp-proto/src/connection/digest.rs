//! HTTP Digest (RFC 2617 §3.2) as RFC 4976 §5 uses it: MD5, `qop=auth`.
//!
//! RFC 4976 reuses the digest scheme of HTTP for the AUTH request: the
//! relay challenges with `WWW-Authenticate`, the client answers with
//! `Authorization`, and the relay may prove it knew the password too with
//! `rspauth` in `Authentication-Info`. Only what a relay client needs is
//! here:
//!
//! - `algorithm=MD5` (or absent, which means MD5). `MD5-sess`, `SHA-256`
//!   and anything else are refused with [`DigestError::UnsupportedAlgorithm`]
//!   rather than answered wrongly (RFC 2617 §3.2.1: a challenge whose
//!   algorithm is not understood is to be ignored).
//! - `qop=auth` (RFC 2617 §3.2.2.1), and a challenge without `qop` (the
//!   RFC 2069 form, without `nc` and `cnonce`). `auth-int` alone is refused:
//!   an AUTH request has no body to protect.
//!
//! The hashing is in small pure functions ([`ha1`], [`ha2`],
//! [`request_digest`]); [`Challenge`] ties them to parsed header values.

use md5::{Digest as _, Md5};

use crate::wire::DigestParams;

/// Why a digest challenge cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DigestError {
    /// The challenge asks for an algorithm other than MD5.
    #[error("unsupported digest algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// The challenge offers `qop` values, none of which is `auth`.
    #[error("unsupported digest qop {0:?}")]
    UnsupportedQop(String),
    /// A parameter the challenge must carry is missing.
    #[error("digest challenge without {0}")]
    Missing(&'static str),
    /// A value cannot be written into an Authorization header (a control
    /// character in the username, for example).
    #[error("digest parameter {0} cannot be encoded")]
    Unencodable(&'static str),
}

/// Lower-case hexadecimal MD5 of `data`: `H(data)` of RFC 2617 §3.2.1.
pub(crate) fn md5_hex(data: &[u8]) -> String {
    hex(&Md5::digest(data))
}

/// Lower-case hexadecimal of `bytes` (digests, client nonces).
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * bytes.len());
    for &byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// `HA1 = MD5(username ":" realm ":" password)` (RFC 2617 §3.2.2.2, algorithm
/// MD5).
pub(crate) fn ha1(username: &str, realm: &str, password: &str) -> String {
    md5_hex(format!("{username}:{realm}:{password}").as_bytes())
}

/// `HA2 = MD5(method ":" digest-uri)` (RFC 2617 §3.2.2.3, qop `auth` or
/// absent). With an empty `method` this is the HA2 of `rspauth`
/// (§3.2.3: `MD5(":" digest-uri)`).
pub(crate) fn ha2(method: &str, uri: &str) -> String {
    md5_hex(format!("{method}:{uri}").as_bytes())
}

/// The `qop=auth` inputs of a digest: the nonce count and the client nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QopAuth<'a> {
    /// How many requests this client sent with the nonce, this one included.
    pub(crate) nc: u32,
    /// The client nonce.
    pub(crate) cnonce: &'a str,
}

/// `nc` as it goes on the wire: 8 lower-case hex digits (RFC 2617 §3.2.2).
pub(crate) fn format_nc(nc: u32) -> String {
    format!("{nc:08x}")
}

/// The request digest (RFC 2617 §3.2.2.1), lower-case hex:
/// `MD5(HA1 ":" nonce ":" nc ":" cnonce ":" "auth" ":" HA2)` with `qop=auth`,
/// `MD5(HA1 ":" nonce ":" HA2)` without qop (RFC 2069).
pub(crate) fn request_digest(
    ha1: &str,
    nonce: &str,
    qop: Option<QopAuth<'_>>,
    ha2: &str,
) -> String {
    let data = match qop {
        Some(QopAuth { nc, cnonce }) => {
            format!("{ha1}:{nonce}:{}:{cnonce}:auth:{ha2}", format_nc(nc))
        }
        None => format!("{ha1}:{nonce}:{ha2}"),
    };
    md5_hex(data.as_bytes())
}

/// A digest challenge this client can answer: one `WWW-Authenticate` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    /// The protection space the username and password belong to.
    pub(crate) realm: String,
    /// The server nonce.
    pub(crate) nonce: String,
    /// Returned unchanged in the credentials, if given.
    pub(crate) opaque: Option<String>,
    /// Whether `qop=auth` is used; `false` is the RFC 2069 form.
    pub(crate) qop_auth: bool,
    /// The algorithm exactly as the challenge named it (some spelling of
    /// MD5), echoed in the credentials; `None` when it named none.
    pub(crate) algorithm: Option<String>,
    /// `stale=TRUE`: the credentials were right but the nonce had expired
    /// (RFC 2617 §3.2.1), so the same answer with the new nonce will do.
    pub(crate) stale: bool,
}

/// The credentials of one request, and what the relay's `rspauth` must be
/// for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    /// The parameters of the `Authorization` header (without the scheme).
    pub(crate) authorization: DigestParams,
    /// The `rspauth` a relay that knows the password would send back.
    pub(crate) expected_rspauth: String,
}

impl Challenge {
    /// Reads a challenge from the parameters of a `WWW-Authenticate: Digest`
    /// header. `realm` and `nonce` are required (RFC 2617 §3.2.1).
    pub(crate) fn from_params(params: &DigestParams) -> Result<Self, DigestError> {
        let algorithm = params.get("algorithm").map(str::to_owned);
        if let Some(name) = algorithm.as_deref() {
            if !name.eq_ignore_ascii_case("MD5") {
                return Err(DigestError::UnsupportedAlgorithm(name.to_owned()));
            }
        }
        let qop_auth = match params.get("qop") {
            None => false,
            // A quoted, comma-separated list of tokens (§3.2.1 qop-options).
            Some(list)
                if list
                    .split(',')
                    .any(|q| q.trim().eq_ignore_ascii_case("auth")) =>
            {
                true
            }
            Some(list) => return Err(DigestError::UnsupportedQop(list.to_owned())),
        };
        let realm = params.get("realm").ok_or(DigestError::Missing("realm"))?;
        let nonce = params.get("nonce").ok_or(DigestError::Missing("nonce"))?;
        Ok(Self {
            realm: realm.to_owned(),
            nonce: nonce.to_owned(),
            opaque: params.get("opaque").map(str::to_owned),
            qop_auth,
            algorithm,
            stale: params
                .get("stale")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
        })
    }

    /// The credentials for a request with `method` and `uri` (RFC 2617
    /// §3.2.2), in the order `username, realm, nonce, uri, qop, nc, cnonce,
    /// response, opaque, algorithm`. `nc` and `cnonce` are used only with
    /// `qop=auth`.
    ///
    /// The digest is always computed over `uri`; the `uri` parameter is
    /// sent only when `send_uri` is set. RFC 4976 §7 leaves it out of the
    /// grammar (§9.1 hashes over the rightmost To-Path URI, and AG
    /// msrprelay never answers credentials that carry it), while RFC 2617
    /// makes it mandatory and Kamailio's auth module checks the digest only
    /// when it is there.
    pub(crate) fn answer(
        &self,
        username: &str,
        password: &str,
        method: &str,
        (uri, send_uri): (&str, bool),
        qop: QopAuth<'_>,
    ) -> Result<Answer, DigestError> {
        let qop = self.qop_auth.then_some(qop);
        let secret = ha1(username, &self.realm, password);
        let response = request_digest(&secret, &self.nonce, qop, &ha2(method, uri));
        let expected_rspauth = request_digest(&secret, &self.nonce, qop, &ha2("", uri));

        let mut p = DigestParams::new();
        let mut push = |name: &'static str, value: &str, quoted: bool| {
            p.push(name, value, quoted)
                .map_err(|_| DigestError::Unencodable(name))
        };
        push("username", username, true)?;
        push("realm", &self.realm, true)?;
        push("nonce", &self.nonce, true)?;
        if send_uri {
            push("uri", uri, true)?;
        }
        if let Some(QopAuth { nc, cnonce }) = qop {
            push("qop", "auth", false)?;
            push("nc", &format_nc(nc), false)?;
            push("cnonce", cnonce, true)?;
        }
        push("response", &response, true)?;
        if let Some(opaque) = &self.opaque {
            push("opaque", opaque, true)?;
        }
        if let Some(algorithm) = &self.algorithm {
            push("algorithm", algorithm, false)?;
        }
        Ok(Answer {
            authorization: p,
            expected_rspauth,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2617 §3.5 (the errata-corrected values).
    const USER: &str = "Mufasa";
    const REALM: &str = "testrealm@host.com";
    const PASSWORD: &str = "Circle Of Life";
    const URI: &str = "/dir/index.html";
    const NONCE: &str = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
    const CNONCE: &str = "0a4f113b";
    const OPAQUE: &str = "5ccc069c403ebaf9f0171e9517f40e41";
    const RESPONSE: &str = "6629fae49393a05397450978507c4ef1";

    fn challenge(value: &str) -> Result<Challenge, DigestError> {
        Challenge::from_params(&DigestParams::parse_with_scheme(value).unwrap())
    }

    #[test]
    fn md5_known_values() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(b"hello world"), "5eb63bbbe01eeed093cb22bb8f5acdc3");
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn rfc2617_example_with_the_pure_functions() {
        let qop = QopAuth {
            nc: 1,
            cnonce: CNONCE,
        };
        let digest = request_digest(
            &ha1(USER, REALM, PASSWORD),
            NONCE,
            Some(qop),
            &ha2("GET", URI),
        );
        assert_eq!(digest, RESPONSE);
        assert_eq!(format_nc(1), "00000001");
        assert_eq!(format_nc(0x1a), "0000001a");
    }

    #[test]
    fn rfc2617_example_through_a_challenge() {
        let c = challenge(&format!(
            r#"Digest realm="{REALM}", qop="auth,auth-int", nonce="{NONCE}", opaque="{OPAQUE}""#
        ))
        .unwrap();
        assert!(c.qop_auth);
        let qop = QopAuth {
            nc: 1,
            cnonce: CNONCE,
        };
        let answer = c.answer(USER, PASSWORD, "GET", (URI, true), qop).unwrap();
        assert_eq!(
            answer.authorization.to_header_value_with_scheme(),
            format!(
                r#"Digest username="{USER}", realm="{REALM}", nonce="{NONCE}", uri="{URI}", qop=auth, nc=00000001, cnonce="{CNONCE}", response="{RESPONSE}", opaque="{OPAQUE}""#
            )
        );
        // rspauth: the same digest with HA2 = MD5(":" uri).
        let rspauth = request_digest(
            &ha1(USER, REALM, PASSWORD),
            NONCE,
            Some(qop),
            &md5_hex(format!(":{URI}").as_bytes()),
        );
        assert_eq!(answer.expected_rspauth, rspauth);
        assert_ne!(rspauth, RESPONSE);
    }

    #[test]
    fn rfc2069_form_without_qop() {
        let c = challenge(&format!(r#"Digest realm="{REALM}", nonce="{NONCE}""#)).unwrap();
        assert!(!c.qop_auth);
        let qop = QopAuth {
            nc: 7,
            cnonce: "ignored",
        };
        // RFC 2069 §2.4's example inputs (its password has no spaces); the
        // digest was computed independently (Python's hashlib), because
        // the one printed in RFC 2069 is known to be wrong.
        let answer = c
            .answer(USER, "CircleOfLife", "GET", (URI, true), qop)
            .unwrap();
        let p = &answer.authorization;
        assert_eq!(p.get("response"), Some("1949323746fe6a43ef61f9606e7febea"));
        assert_eq!(
            (p.get("qop"), p.get("nc"), p.get("cnonce")),
            (None, None, None)
        );
        assert_eq!(p.get("uri"), Some(URI));
        let secret = ha1(USER, REALM, "CircleOfLife");
        assert_eq!(
            answer.expected_rspauth,
            md5_hex(format!("{secret}:{NONCE}:{}", ha2("", URI)).as_bytes())
        );
    }

    #[test]
    fn explicit_md5_is_echoed() {
        let c = challenge(&format!(
            r#"Digest realm="{REALM}", nonce="{NONCE}", qop="auth", algorithm=MD5"#
        ))
        .unwrap();
        assert_eq!(c.algorithm.as_deref(), Some("MD5"));
        let qop = QopAuth {
            nc: 1,
            cnonce: CNONCE,
        };
        let answer = c.answer(USER, PASSWORD, "GET", (URI, true), qop).unwrap();
        assert_eq!(answer.authorization.get("response"), Some(RESPONSE));
        let last = answer.authorization.iter().last();
        assert_eq!(last, Some(("algorithm", "MD5", false)));
        // Lower case is still MD5.
        assert!(challenge(r#"Digest realm="r", nonce="n", algorithm="md5""#).is_ok());
    }

    #[test]
    fn refusals() {
        for (value, want) in [
            (
                r#"Digest realm="r", nonce="n", algorithm=MD5-sess"#,
                DigestError::UnsupportedAlgorithm("MD5-sess".into()),
            ),
            (
                r#"Digest realm="r", nonce="n", algorithm=SHA-256, qop="auth""#,
                DigestError::UnsupportedAlgorithm("SHA-256".into()),
            ),
            (
                r#"Digest realm="r", nonce="n", qop="auth-int""#,
                DigestError::UnsupportedQop("auth-int".into()),
            ),
            (r#"Digest nonce="n""#, DigestError::Missing("realm")),
            (r#"Digest realm="r""#, DigestError::Missing("nonce")),
        ] {
            assert_eq!(challenge(value), Err(want), "{value}");
        }
        let c = challenge(r#"Digest realm="r", nonce="n""#).unwrap();
        let qop = QopAuth {
            nc: 1,
            cnonce: CNONCE,
        };
        assert_eq!(
            c.answer(
                "bad\r\nname",
                "pw",
                "AUTH",
                ("msrps://relay:2855;tcp", true),
                qop
            ),
            Err(DigestError::Unencodable("username"))
        );
        assert!(
            DigestError::UnsupportedAlgorithm("SHA-256".into())
                .to_string()
                .contains("SHA-256")
        );
    }
}
