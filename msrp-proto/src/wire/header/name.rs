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
        use HeaderName::*;
        // This runs for every header line received. Few names share a
        // length, so the length alone leaves one to three candidates.
        let candidates: &[Self] = match name.len() {
            6 => &[Status],
            7 => &[ToPath, Expires],
            8 => &[UsePath],
            9 => &[FromPath],
            10 => &[MessageId, ByteRange, ContentId],
            11 => &[MinExpires, MaxExpires],
            12 => &[UseNickname, ContentType],
            13 => &[Authorization],
            14 => &[SuccessReport, FailureReport],
            16 => &[WwwAuthenticate],
            19 => &[AuthenticationInfo, ContentDescription, ContentDisposition],
            _ => &[],
        };
        // Peers nearly always write the canonical spelling: try it first.
        candidates
            .iter()
            .copied()
            .find(|known| known.as_str() == name)
            .or_else(|| {
                candidates
                    .iter()
                    .copied()
                    .find(|known| known.as_str().eq_ignore_ascii_case(name))
            })
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
