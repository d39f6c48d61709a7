//! The JSON lines `msrp listen` and `msrp send` print (`msrp chat` has its
//! own events in `chat.rs`), and the writer that flushes each line at once
//! (a script reading the pipe must see line 1 before the peer connects).

use std::io::{self, Write};

use msrp_proto::MsrpUri;
use msrp_proto::path::Path;
use serde::Serialize;

/// One event line. Field order is the documented order of each object.
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub(crate) enum Event {
    /// The session is bound.
    Bound {
        local_path: Vec<String>,
        remote_path: Vec<String>,
    },
    /// A message arrived completely.
    Message {
        message_id: String,
        content_type: Option<String>,
        size: u64,
        /// Hex SHA-256 of the body; null only if it could not be computed
        /// (pieces far out of order with no `--out-dir` to re-read).
        sha256: Option<String>,
        chunks: u32,
    },
    /// A message was abandoned by its sender or cut off.
    Aborted { message_id: String, received: u64 },
    /// The session ended.
    Closed { reason: String },
    /// A message this side sent reached its outcome.
    Sent {
        message_id: String,
        size: u64,
        sha256: String,
        outcome: &'static str,
        code: u16,
        comment: String,
        seconds: f64,
    },
    /// What `msrp send` did, all told.
    Summary {
        messages: usize,
        bytes: u64,
        seconds: f64,
        ok: bool,
    },
}

/// A path as the JSON list of its URIs.
pub(crate) fn uris(path: &Path) -> Vec<String> {
    path.iter().map(ToString::to_string).collect()
}

/// A path as the space-separated text of an SDP `a=path` line.
pub(crate) fn path_line(path: &[MsrpUri]) -> String {
    path.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Standard output, a line at a time.
#[derive(Debug, Default)]
pub(crate) struct Out;

impl Out {
    /// Prints a plain line.
    pub(crate) fn line(&self, text: &str) {
        Self::write(text);
    }

    /// Prints an event (of `listen`, `send` or `chat`) as one JSON object.
    pub(crate) fn event(&self, event: &impl Serialize) {
        // Serializing these plain structs cannot fail.
        let text = serde_json::to_string(event).unwrap_or_default();
        Self::write(&text);
    }

    fn write(text: &str) {
        let mut stdout = io::stdout().lock();
        // A reader that went away must not stop a transfer under way: the
        // exit status still tells how it went.
        let _ = writeln!(stdout, "{text}").and_then(|()| stdout.flush());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_have_the_documented_shape() {
        let sent = Event::Sent {
            message_id: "m1".into(),
            size: 3,
            sha256: "ab".into(),
            outcome: "delivered",
            code: 200,
            comment: "OK".into(),
            seconds: 0.5,
        };
        assert_eq!(
            serde_json::to_string(&sent).unwrap(),
            r#"{"event":"sent","message_id":"m1","size":3,"sha256":"ab","outcome":"delivered","code":200,"comment":"OK","seconds":0.5}"#
        );
        let summary = Event::Summary {
            messages: 1,
            bytes: 3,
            seconds: 1.0,
            ok: true,
        };
        assert_eq!(
            serde_json::to_string(&summary).unwrap(),
            r#"{"event":"summary","messages":1,"bytes":3,"seconds":1.0,"ok":true}"#
        );
        let closed = Event::Closed { reason: "x".into() };
        assert_eq!(
            serde_json::to_string(&closed).unwrap(),
            r#"{"event":"closed","reason":"x"}"#
        );
    }
}
