//! Request methods (RFC 4975 §9 `method`, RFC 4976 AUTH, RFC 7701 NICKNAME).

use std::fmt;

/// An MSRP request method. Method names are case-sensitive upper-case tokens
/// (RFC 4975 §9: `other-method = 1*UPALPHA`).
///
/// ```
/// use msrp_proto::wire::Method;
/// assert_eq!(Method::from_name("SEND"), Some(Method::Send));
/// assert_eq!(Method::from_name("send"), None); // case-sensitive
/// assert_eq!(Method::from_name("FOO").unwrap().as_str(), "FOO");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `SEND`: carries a message or a chunk of one.
    Send,
    /// `REPORT`: reports on the delivery of a message.
    Report,
    /// `AUTH`: authenticates to a relay (RFC 4976).
    Auth,
    /// `NICKNAME`: asks for a nickname in a chat room (RFC 7701).
    Nickname,
    /// Any other method: one or more upper-case ASCII letters.
    Other(String),
}

impl Method {
    /// Parses a method name; `None` unless it is one or more upper-case ASCII letters.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "SEND" => Self::Send,
            "REPORT" => Self::Report,
            "AUTH" => Self::Auth,
            "NICKNAME" => Self::Nickname,
            _ if !name.is_empty() && name.bytes().all(|b| b.is_ascii_uppercase()) => {
                Self::Other(name.to_owned())
            }
            _ => return None,
        })
    }

    /// [`from_name`](Self::from_name) on the bytes of a start line, which
    /// need no check as text for the methods this crate knows.
    pub(crate) fn from_bytes(name: &[u8]) -> Option<Self> {
        match name {
            b"SEND" => Some(Self::Send),
            b"REPORT" => Some(Self::Report),
            b"AUTH" => Some(Self::Auth),
            b"NICKNAME" => Some(Self::Nickname),
            _ => std::str::from_utf8(name).ok().and_then(Self::from_name),
        }
    }

    /// The method name as sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Send => "SEND",
            Self::Report => "REPORT",
            Self::Auth => "AUTH",
            Self::Nickname => "NICKNAME",
            Self::Other(name) => name,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
