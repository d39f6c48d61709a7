//! The header names this crate knows, their canonical spelling, and the order
//! in which RFC 4975 §9 wants them on the wire.

/// A header that this crate parses and validates. Names match
/// case-insensitively (RFC 5234 quoted strings); others are kept as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HeaderName {
    /// `To-Path`.
    ToPath,
    /// `From-Path`.
    FromPath,
    /// `Message-ID`.
    MessageId,
    /// `Byte-Range`.
    ByteRange,
    /// `Success-Report`.
    SuccessReport,
    /// `Failure-Report`.
    FailureReport,
    /// `Status`.
    Status,
    /// `Use-Nickname` (RFC 7701).
    UseNickname,
    /// `Expires` (RFC 4976).
    Expires,
    /// `Min-Expires` (RFC 4976).
    MinExpires,
    /// `Max-Expires` (RFC 4976).
    MaxExpires,
    /// `Use-Path` (RFC 4976).
    UsePath,
    /// `WWW-Authenticate` (RFC 4976).
    WwwAuthenticate,
    /// `Authorization` (RFC 4976).
    Authorization,
    /// `Authentication-Info` (RFC 4976).
    AuthenticationInfo,
    /// `Content-ID`.
    ContentId,
    /// `Content-Description`.
    ContentDescription,
    /// `Content-Disposition`.
    ContentDisposition,
    /// `Content-Type`.
    ContentType,
}

#[cfg(test)]
const ALL: [HeaderName; 19] = [
    HeaderName::ToPath,
    HeaderName::FromPath,
    HeaderName::MessageId,
    HeaderName::ByteRange,
    HeaderName::SuccessReport,
    HeaderName::FailureReport,
    HeaderName::Status,
    HeaderName::UseNickname,
    HeaderName::Expires,
    HeaderName::MinExpires,
    HeaderName::MaxExpires,
    HeaderName::UsePath,
    HeaderName::WwwAuthenticate,
    HeaderName::Authorization,
    HeaderName::AuthenticationInfo,
    HeaderName::ContentId,
    HeaderName::ContentDescription,
    HeaderName::ContentDisposition,
    HeaderName::ContentType,
];

impl HeaderName {
    /// Looks a name up, ignoring ASCII case.
    ///
    /// ```
    /// use msrp_proto::wire::HeaderName;
    /// assert_eq!(HeaderName::lookup("to-path"), Some(HeaderName::ToPath));
    /// assert_eq!(HeaderName::lookup("X-Custom"), None);
    /// ```
    pub fn lookup(name: &str) -> Option<Self> {
        Self::lookup_bytes(name.as_bytes())
    }

    /// [`lookup`](Self::lookup) on bytes, as a header line holds them.
    pub(crate) fn lookup_bytes(name: &[u8]) -> Option<Self> {
        use HeaderName::*;
        // This runs for every header line received: the length and one
        // letter (case folded) leave a single candidate to compare.
        let letter = |i: usize| name.get(i).map_or(0, |b| b | 0x20);
        let candidate = match (name.len(), letter(0)) {
            (6, b's') => Status,
            (7, b't') => ToPath,
            (7, b'e') => Expires,
            (8, b'u') => UsePath,
            (9, b'f') => FromPath,
            (10, b'm') => MessageId,
            (10, b'b') => ByteRange,
            (10, b'c') => ContentId,
            (11, b'm') if letter(1) == b'i' => MinExpires,
            (11, b'm') => MaxExpires,
            (12, b'c') => ContentType,
            (12, b'u') => UseNickname,
            (13, b'a') => Authorization,
            (14, b's') => SuccessReport,
            (14, b'f') => FailureReport,
            (16, b'w') => WwwAuthenticate,
            (19, b'a') => AuthenticationInfo,
            // Content-Description, Content-Disposition.
            (19, b'c') if letter(9) == b'e' => ContentDescription,
            (19, b'c') => ContentDisposition,
            _ => return None,
        };
        eq_name(name, candidate.as_str().as_bytes()).then_some(candidate)
    }

    /// The canonical spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ToPath => "To-Path",
            Self::FromPath => "From-Path",
            Self::MessageId => "Message-ID",
            Self::ByteRange => "Byte-Range",
            Self::SuccessReport => "Success-Report",
            Self::FailureReport => "Failure-Report",
            Self::Status => "Status",
            Self::UseNickname => "Use-Nickname",
            Self::Expires => "Expires",
            Self::MinExpires => "Min-Expires",
            Self::MaxExpires => "Max-Expires",
            Self::UsePath => "Use-Path",
            Self::WwwAuthenticate => "WWW-Authenticate",
            Self::Authorization => "Authorization",
            Self::AuthenticationInfo => "Authentication-Info",
            Self::ContentId => "Content-ID",
            Self::ContentDescription => "Content-Description",
            Self::ContentDisposition => "Content-Disposition",
            Self::ContentType => "Content-Type",
        }
    }

    /// Whether the header may appear more than once in a chunk.
    pub(crate) fn repeatable(self) -> bool {
        // A relay may offer several challenges (RFC 2617 §1.2 allows a list).
        matches!(self, Self::WwwAuthenticate)
    }
}

/// Whether `name` is `known` ignoring ASCII case, where `known` is a
/// canonical name of 4 to 24 bytes (ASCII letters and `-`) and as long as
/// `name`.
///
/// Compared a word at a time, with the case bit masked where `known` has
/// a letter: the lookup costs a fifth of comparing byte by byte or of
/// `==` then `eq_ignore_ascii_case` (benches/parse.rs, small_chunk).
fn eq_name(name: &[u8], known: &[u8]) -> bool {
    let len = known.len();
    if name.len() != len || !(4..=24).contains(&len) {
        return name.eq_ignore_ascii_case(known);
    }
    // Overlapping windows: two cover 4 to 16 bytes, three up to 24.
    if len < 8 {
        return eq_window::<4>(name, known, 0) && eq_window::<4>(name, known, len - 4);
    }
    eq_window::<8>(name, known, 0)
        && eq_window::<8>(name, known, len - 8)
        && (len <= 16 || eq_window::<8>(name, known, 8))
}

/// Compares `N` bytes (4 or 8) at `at`, ignoring the case of `known`'s letters.
fn eq_window<const N: usize>(name: &[u8], known: &[u8], at: usize) -> bool {
    let word = |bytes: &[u8]| {
        let mut word = [0; 8];
        word[..N].copy_from_slice(&bytes[at..at + N]);
        u64::from_le_bytes(word)
    };
    let (name, known) = (word(name), word(known));
    // Letters have bit 6 set, `-` has not: the case bit (0x20) of each
    // letter of `known`, and of nothing else.
    let case = (known & 0x4040_4040_4040_4040) >> 1;
    name | case == known | case
}

/// Position of a header in the canonical order (RFC 4975 §9): To-Path first,
/// From-Path second, then the other headers, then the MIME headers, and
/// Content-Type last, right before the body.
pub(crate) fn wire_rank(name: &str) -> u8 {
    match HeaderName::lookup(name) {
        Some(HeaderName::ToPath) => 0,
        Some(HeaderName::FromPath) => 1,
        Some(HeaderName::ContentType) => 4,
        Some(
            HeaderName::ContentId | HeaderName::ContentDescription | HeaderName::ContentDisposition,
        ) => 3,
        Some(_) => 2,
        // mime-extension-field: any other `Content-*` header belongs with the MIME headers.
        None if name.len() > 8 && name[..8].eq_ignore_ascii_case("Content-") => 3,
        None => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_name_round_trips_in_any_case() {
        for name in ALL {
            assert_eq!(HeaderName::lookup(name.as_str()), Some(name));
            assert_eq!(
                HeaderName::lookup(&name.as_str().to_ascii_lowercase()),
                Some(name)
            );
            assert_eq!(
                HeaderName::lookup(&name.as_str().to_ascii_uppercase()),
                Some(name)
            );
        }
        assert_eq!(HeaderName::lookup("To-Pat"), None);
        for len in 0..=32 {
            assert_eq!(HeaderName::lookup(&"x".repeat(len)), None);
        }
        assert_eq!(HeaderName::lookup(""), None);
    }

    #[test]
    fn wire_rank_puts_paths_first_and_content_type_last() {
        assert!(wire_rank("To-Path") < wire_rank("from-path"));
        assert!(wire_rank("From-Path") < wire_rank("Message-ID"));
        assert!(wire_rank("X-Extension") < wire_rank("Content-ID"));
        assert!(wire_rank("Content-Language") < wire_rank("content-type"));
        assert_eq!(
            wire_rank("Content-Language"),
            wire_rank("Content-Disposition")
        );
    }
}
