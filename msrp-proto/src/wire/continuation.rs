//! The continuation flag that ends every chunk (RFC 4975 §7.1).

use std::fmt;

/// The flag after the transaction id in an end-line.
///
/// ```
/// use msrp_proto::wire::Continuation;
/// assert_eq!(Continuation::from_byte(b'+'), Some(Continuation::More));
/// assert_eq!(Continuation::Aborted.as_byte(), b'#');
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Continuation {
    /// `$`: the last chunk of the message.
    Complete,
    /// `+`: more chunks of the message follow.
    More,
    /// `#`: the sender abandoned the message.
    Aborted,
}

impl Continuation {
    /// The flag for a byte, if it is one of `$`, `+`, `#`.
    pub fn from_byte(b: u8) -> Option<Self> {
        match b {
            b'$' => Some(Self::Complete),
            b'+' => Some(Self::More),
            b'#' => Some(Self::Aborted),
            _ => None,
        }
    }

    /// The flag's byte on the wire.
    pub fn as_byte(self) -> u8 {
        match self {
            Self::Complete => b'$',
            Self::More => b'+',
            Self::Aborted => b'#',
        }
    }
}

impl fmt::Display for Continuation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Complete => "$",
            Self::More => "+",
            Self::Aborted => "#",
        })
    }
}
