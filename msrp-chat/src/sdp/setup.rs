//! `a=setup` (RFC 4145, used for MSRP by RFC 6135) and sipsimple's
//! `a=rfbsetup`.

use std::fmt;

/// The connection role of `a=setup` (RFC 4145 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setup {
    /// The endpoint opens the connection.
    Active,
    /// The endpoint accepts the connection.
    Passive,
    /// Either; the answerer chooses (offers only).
    ActPass,
    /// No connection for now. RFC 6135 §4.2.1: an MSRP endpoint never sends
    /// it and reads a received one as if there were no `a=setup`.
    HoldConn,
}

impl Setup {
    /// The value as written in SDP.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Passive => "passive",
            Self::ActPass => "actpass",
            Self::HoldConn => "holdconn",
        }
    }

    /// Reads a value, ignoring ASCII case.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::Passive, Self::ActPass, Self::HoldConn]
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for Setup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// sipsimple's `a=rfbsetup` for desktop sharing: which side runs the RFB
/// (VNC) client. It exists because `a=setup` was taken by RFC 6135.
///
/// The offerer writes its own role; the answer takes the other one. An offer
/// without the attribute means `active` (the offerer views, the answerer
/// serves its desktop).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RfbSetup {
    /// The RFB client: this side views the remote desktop.
    Active,
    /// The RFB server: this side shares its desktop.
    Passive,
}

impl RfbSetup {
    /// The value as written in SDP.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Passive => "passive",
        }
    }

    /// Reads a value, ignoring ASCII case.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::Passive]
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
    }

    /// The other role.
    pub fn opposite(self) -> Self {
        match self {
            Self::Active => Self::Passive,
            Self::Passive => Self::Active,
        }
    }
}

impl fmt::Display for RfbSetup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
