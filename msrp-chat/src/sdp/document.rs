//! [`SdpDocument`]: a whole SDP body, with its MSRP media sections typed.

use super::{Direction, Limits, MsrpMedia, Protocol, SdpError, Setup};
use sdp_types::{Media, Origin, ParserError, Session, Time};
use std::fmt;

/// One `m=` section of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaSection {
    /// An MSRP media description (its protocol is one of [`Protocol`]'s).
    Msrp(Box<MsrpMedia>),
    /// Any other media description (audio, video, ...), kept as read.
    Other(Box<Media>),
}

/// Which session-level lines the text had, so that a fragment (the RFCs
/// often show only `c=`, `m=` and `a=` lines) renders as a fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SessionLines {
    version: bool,
    origin: bool,
    name: bool,
    time: bool,
}

impl SessionLines {
    const ALL: Self = Self {
        version: true,
        origin: true,
        name: true,
        time: true,
    };
}

/// What the first non-empty line of a text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FirstLine {
    /// No line at all.
    None,
    /// An `m=` line.
    Media,
    /// Any other line.
    Session,
}

/// A whole SDP body (RFC 8866) with its MSRP media sections typed and every
/// other line kept.
///
/// The text is read by `sdp-types`. A body that does not start with `v=`
/// is read as a fragment of `c=`, `m=` and `a=` lines, as the RFC examples
/// show them, and renders as one: the `v=`, `o=`, `s=` and `t=` lines it
/// lacked are not added.
///
/// Rendering is canonical (`CRLF`, session lines in RFC 8866 order, MSRP
/// sections as [`MsrpMedia`] describes); a body already in that form renders
/// byte for byte as read.
///
/// ```
/// use msrp_chat::sdp::SdpDocument;
///
/// let body = "v=0\r\n\
///             o=alice 2890844557 2890844559 IN IP4 alicepc.example.com\r\n\
///             s= -\r\n\
///             c=IN IP4 alicepc.example.com\r\n\
///             t=0 0\r\n\
///             m=message 7777 TCP/MSRP *\r\n\
///             a=accept-types:text/plain\r\n\
///             a=path:msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n";
/// let doc = SdpDocument::parse(body.as_bytes())?;
/// let (index, chat) = doc.msrp_media().next().expect("one MSRP section");
/// assert_eq!(index, 0);
/// assert_eq!(chat.own_uri().and_then(|u| u.session_id()), Some("iau39soe2843z"));
/// assert_eq!(doc.render(), body);
/// # Ok::<(), msrp_chat::sdp::SdpError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdpDocument {
    /// The session-level part; its `medias` stay empty.
    session: Session,
    sections: Vec<MediaSection>,
    lines: SessionLines,
}

#[allow(
    deprecated,
    reason = "every ParserError variant gets a message, deprecated ones too"
)]
fn syntax_error(e: ParserError, shift: usize) -> SdpError {
    use ParserError as P;
    let (line, message) = match &e {
        P::UnexpectedLine(n, _) => (Some(*n), "unexpected line".to_owned()),
        P::InvalidLineFormat(n, what) => (Some(*n), format!("{what}: expected `<letter>=<value>`")),
        P::InvalidFieldEncoding(n, field) => (Some(*n), format!("{field}: expected UTF-8 text")),
        P::InvalidFieldFormat(n, field) => (Some(*n), format!("malformed {field}")),
        P::MissingField(n, field) => (Some(*n), format!("missing {field}")),
        P::FieldTrailingData(n, field) => (Some(*n), format!("{field}: unexpected data after it")),
        P::InvalidVersion(n, _) => (Some(*n), "expected `v=0`".to_owned()),
        P::MultipleVersions(n) => (Some(*n), "a second v= line: expected one".to_owned()),
        P::NoVersion => (None, "expected the body to start with `v=0`".to_owned()),
        P::MultipleOrigins(n) => (Some(*n), "a second o= line: expected one".to_owned()),
        P::NoOrigin => (None, "expected an o= line".to_owned()),
        P::MultipleSessionNames(n) => (Some(*n), "a second s= line: expected one".to_owned()),
        P::NoSessionName => (None, "expected an s= line".to_owned()),
        P::MultipleSessionDescription(n) => (
            Some(*n),
            "a second session i= line: expected one".to_owned(),
        ),
        P::MultipleUris(n) => (Some(*n), "a second u= line: expected one".to_owned()),
        P::MultipleConnections(n) => (
            Some(*n),
            "a second session c= line: expected one".to_owned(),
        ),
        P::MultipleTimeZones(n) => (Some(*n), "a second z= line: expected one".to_owned()),
        P::MultipleMediaTitles(n) => (Some(*n), "a second media i= line: expected one".to_owned()),
        P::MultipleKeys(n) => (Some(*n), "a second k= line: expected one".to_owned()),
        P::RepeatWithoutTime(n) => (Some(*n), "an r= line before any t= line".to_owned()),
        #[allow(unreachable_patterns, reason = "sdp-types may add variants")]
        _ => (None, e.to_string()),
    };
    // A fragment was read with a `v=0` line put in front of it.
    let line = line.and_then(|n| n.checked_sub(shift)).filter(|n| *n > 0);
    SdpError::Syntax { line, message }
}

/// The lines of `body` without their line ends, empty ones skipped.
fn lines(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    body.split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
}

/// Checks the caps, reads `body` with `sdp-types` (as a fragment when it
/// does not start with `v=`) and says what its first line is.
pub(crate) fn parse_raw(body: &[u8], limits: &Limits) -> Result<(Session, FirstLine), SdpError> {
    let raw = parse_lines(body, limits)?;
    Ok((raw.session, raw.first))
}

/// What [`parse_lines`] found.
struct Raw {
    session: Session,
    lines: SessionLines,
    first: FirstLine,
}

fn parse_lines(body: &[u8], limits: &Limits) -> Result<Raw, SdpError> {
    if body.len() > limits.max_body_len {
        return Err(SdpError::BodyTooLarge {
            len: body.len(),
            limit: limits.max_body_len,
        });
    }
    if body.split(|b| *b == b'\n').nth(limits.max_lines).is_some() {
        return Err(SdpError::TooManyLines {
            limit: limits.max_lines,
        });
    }
    let first = match lines(body).next() {
        None => FirstLine::None,
        Some(l) if l.starts_with(b"m=") => FirstLine::Media,
        Some(_) => FirstLine::Session,
    };
    let mut found = SessionLines {
        version: false,
        origin: false,
        name: false,
        time: false,
    };
    for line in lines(body).take_while(|l| !l.starts_with(b"m=")) {
        match line.first() {
            Some(b'v') => found.version = true,
            Some(b'o') => found.origin = true,
            Some(b's') => found.name = true,
            Some(b't') => found.time = true,
            _ => {}
        }
    }
    let starts_with_version = lines(body).next().is_some_and(|l| l.starts_with(b"v="));
    let session = if starts_with_version {
        Session::parse(body).map_err(|e| syntax_error(e, 0))?
    } else {
        let mut text = Vec::with_capacity(body.len() + 5);
        text.extend_from_slice(b"v=0\r\n");
        text.extend_from_slice(body);
        Session::parse(&text).map_err(|e| syntax_error(e, 1))?
    };
    if session.medias.len() > limits.max_media {
        return Err(SdpError::TooManyMedia {
            limit: limits.max_media,
        });
    }
    // A fragment has no v= line of its own.
    found.version = starts_with_version;
    Ok(Raw {
        session,
        lines: found,
        first,
    })
}

/// Reads a session-level attribute leniently: absent or unreadable is `None`.
fn session_attribute<'a>(session: &'a Session, name: &str) -> Option<&'a sdp_types::Attribute> {
    session
        .attributes
        .iter()
        .find(|a| a.attribute.eq_ignore_ascii_case(name))
}

impl SdpDocument {
    /// An empty document with `v=0`, the given `o=` and `s=` lines and
    /// `t=0 0`.
    pub fn new(origin: Origin, session_name: impl Into<String>) -> Self {
        let mut session = Session::new(origin, session_name.into());
        session.times.push(Time::new(0, 0));
        Self {
            session,
            sections: Vec::new(),
            lines: SessionLines::ALL,
        }
    }

    /// Reads a body with the default [`Limits`]. Lines may end in `CRLF` or
    /// `LF`.
    pub fn parse(body: &[u8]) -> Result<Self, SdpError> {
        Self::parse_with(body, &Limits::DEFAULT)
    }

    /// Reads a body with explicit caps.
    pub fn parse_with(body: &[u8], limits: &Limits) -> Result<Self, SdpError> {
        let Raw {
            mut session, lines, ..
        } = parse_lines(body, limits)?;
        let medias = std::mem::take(&mut session.medias);
        let mut sections = Vec::with_capacity(medias.len());
        for (index, media) in medias.into_iter().enumerate() {
            sections.push(if Protocol::parse(&media.proto).is_some() {
                MediaSection::Msrp(Box::new(MsrpMedia::read(&media, index, limits)?))
            } else {
                MediaSection::Other(Box::new(media))
            });
        }
        Ok(Self {
            session,
            sections,
            lines,
        })
    }

    /// The session-level part (`o=`, `s=`, session `c=`, session `a=`
    /// lines, ...). Its `medias` list is always empty: the media sections
    /// are in [`sections`](Self::sections).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The session-level part, to change it. Media sections put in its
    /// `medias` list are written after [`sections`](Self::sections).
    pub fn session_mut(&mut self) -> &mut Session {
        &mut self.session
    }

    /// All `m=` sections in order.
    pub fn sections(&self) -> &[MediaSection] {
        &self.sections
    }

    /// All `m=` sections, to change, add or remove some.
    pub fn sections_mut(&mut self) -> &mut Vec<MediaSection> {
        &mut self.sections
    }

    /// Appends an MSRP media section.
    pub fn push_msrp(&mut self, media: MsrpMedia) {
        self.sections.push(MediaSection::Msrp(Box::new(media)));
    }

    /// The MSRP sections with their index among all `m=` sections (the
    /// index an SDP answer must keep).
    pub fn msrp_media(&self) -> impl Iterator<Item = (usize, &MsrpMedia)> {
        self.sections
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s {
                MediaSection::Msrp(m) => Some((i, &**m)),
                MediaSection::Other(_) => None,
            })
    }

    /// The MSRP sections, to change, with their index.
    pub fn msrp_media_mut(&mut self) -> impl Iterator<Item = (usize, &mut MsrpMedia)> {
        self.sections
            .iter_mut()
            .enumerate()
            .filter_map(|(i, s)| match s {
                MediaSection::Msrp(m) => Some((i, &mut **m)),
                MediaSection::Other(_) => None,
            })
    }

    /// The `index`-th `m=` section if it is MSRP.
    pub fn msrp(&self, index: usize) -> Option<&MsrpMedia> {
        match self.sections.get(index)? {
            MediaSection::Msrp(m) => Some(&**m),
            MediaSection::Other(_) => None,
        }
    }

    /// A copy of the `index`-th MSRP section with what the session level
    /// says filled in where the section is silent: the session `c=` line,
    /// a session `a=setup` and a session direction attribute (RFC 4145 §4
    /// and RFC 5547 §8 allow both at session level). Use it for
    /// negotiation, not for rendering (the filled-in lines would be written
    /// at media level).
    pub fn resolved_msrp(&self, index: usize) -> Option<MsrpMedia> {
        let mut m = self.msrp(index)?.clone();
        if m.connection.is_none() {
            m.connection = self.session.connection.clone();
        }
        if m.setup.is_none() {
            m.setup = session_attribute(&self.session, "setup")
                .and_then(|a| a.value.as_deref())
                .and_then(|v| Setup::parse(v.trim()));
        }
        if m.direction.is_none() {
            m.direction = self.session.attributes.iter().find_map(|a| {
                a.value
                    .is_none()
                    .then(|| Direction::parse(&a.attribute))
                    .flatten()
            });
        }
        Some(m)
    }

    /// The whole document as an `sdp-types` session.
    pub fn to_session(&self) -> Session {
        let mut session = self.session.clone();
        let mut medias: Vec<Media> = self
            .sections
            .iter()
            .map(|s| match s {
                MediaSection::Msrp(m) => m.to_sdp_media(),
                MediaSection::Other(m) => (**m).clone(),
            })
            .collect();
        medias.append(&mut session.medias);
        session.medias = medias;
        session
    }

    /// The document as SDP text, `CRLF` after each line.
    pub fn render(&self) -> String {
        let session = self.to_session();
        let text = session.to_string();
        if self.lines == SessionLines::ALL {
            return text;
        }
        let mut out = String::with_capacity(text.len());
        let mut in_session = true;
        for line in text.split_inclusive("\r\n") {
            if line.starts_with("m=") {
                in_session = false;
            }
            let added = in_session
                && ((line.starts_with("v=") && !self.lines.version)
                    || (line.starts_with("o=") && !self.lines.origin)
                    || (line.starts_with("s=") && !self.lines.name)
                    || (line.starts_with("t=") && !self.lines.time && session.times.is_empty()));
            if !added {
                out.push_str(line);
            }
        }
        out
    }
}

impl fmt::Display for SdpDocument {
    /// The same text as [`render`](SdpDocument::render).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}
