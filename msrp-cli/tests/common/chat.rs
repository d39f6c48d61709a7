//! The conversation of the `msrp chat` tests: two processes in JSON mode,
//! Alice answering and Bob calling, over whatever their arguments say.

use serde_json::Value;

use super::*;

/// Reads events until one that `want` accepts (skipping others, at most
/// 200, each within [`WAIT`]); fails if the chat ends first.
pub fn until(m: &mut Msrp, what: &str, want: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let event = m.event();
        if want(&event) {
            return event;
        }
        assert_ne!(event["event"], "ended", "the chat ended before {what}");
    }
    panic!("no {what} among 200 events");
}

/// Whether `event` is a `name` event.
pub fn is(event: &Value, name: &str) -> bool {
    event["event"] == name
}

/// One side of a chat: its process, line 1, its output folder.
pub struct Person {
    pub msrp: Msrp,
    pub path: String,
    pub dir: TempDir,
}

impl Person {
    /// Starts `msrp chat --name NAME --out-dir DIR ARGS` with `env`; reads
    /// line 1.
    pub fn start(name: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        let dir = TempDir::new(&format!("chat-{name}"));
        let out = dir.0.to_string_lossy().into_owned();
        let mut all = vec!["chat", "--name", name, "--out-dir", &out];
        all.extend(args);
        let mut msrp = Msrp::start_with_env(&all, env);
        let path = msrp.line();
        assert!(path.contains("://"), "line 1 is the path: {path}");
        Self { msrp, path, dir }
    }

    /// Sends `text` and waits for its `sent` and `delivered`; its id.
    pub fn say(&mut self, text: &str) -> String {
        self.msrp.send_line(text);
        let sent = until(&mut self.msrp, "sent", |e| is(e, "sent"));
        assert_eq!(sent["size"], text.len(), "{sent}");
        let id = sent["id"].as_str().expect("an id").to_owned();
        until(&mut self.msrp, "delivered", |e| {
            assert!(!is(e, "not_delivered"), "{e}");
            is(e, "delivered") && e["id"] == id.as_str()
        });
        id
    }

    /// Waits for a text message from `from`; the event.
    pub fn hears(&mut self, text: &str, from: &str) -> Value {
        let message = until(&mut self.msrp, "a message", |e| is(e, "message"));
        assert_eq!(message["text"], text, "{message}");
        assert!(
            message["from"]
                .as_str()
                .is_some_and(|f| f.starts_with(&format!("{from} <sip:"))),
            "{message}"
        );
        assert!(
            message["content_type"]
                .as_str()
                .is_some_and(|t| t.starts_with("text/plain")),
            "{message}"
        );
        assert_eq!(message["saved"], Value::Null, "{message}");
        assert!(
            !message["id"].as_str().unwrap_or("").is_empty(),
            "{message}"
        );
        assert!(
            message["timestamp"].as_str().is_some_and(|t| t.len() >= 20),
            "{message}"
        );
        message
    }
}

/// Alice (answering) and Bob (calling), both started: they chat both ways,
/// Alice types, Bob sends a file and tries what is not allowed, then Bob's
/// input ends and both end cleanly.
pub fn conversation(mut alice: Person, mut bob: Person) {
    // "started" comes first, before anything said or heard.
    let started = alice.msrp.event();
    assert!(is(&started, "started"), "{started}");
    assert_eq!(started["remote_path"], Value::from(words(&bob.path)));
    let started = bob.msrp.event();
    assert!(is(&started, "started"), "{started}");
    assert_eq!(started["remote_path"], Value::from(words(&alice.path)));

    bob.say("hello from Bob");
    alice.hears("hello from Bob", "Bob");

    // Alice types: Bob sees it; her message then ends it.
    alice.msrp.send_line("/typing");
    let composing = until(&mut bob.msrp, "Alice typing", |e| is(e, "composing"));
    assert_eq!(composing["state"], "active", "{composing}");
    assert!(
        composing["from"]
            .as_str()
            .unwrap()
            .starts_with("Alice <sip:")
    );
    let text = "Grüße, Bob ☕ — two bytes, three, and more";
    alice.say(text);
    let idle = until(&mut bob.msrp, "Alice idle", |e| {
        is(e, "composing") || is(e, "message")
    });
    assert_eq!(idle["state"], "idle", "idle comes with her message: {idle}");
    bob.hears(text, "Alice");

    // What is refused goes to stderr; the chat goes on.
    bob.msrp.send_line("/bogus");
    bob.msrp.send_line("/file /nonexistent/none.bin");
    random_file(&bob.dir.path("big.bin"), 2 << 20);
    bob.msrp
        .send_line(&format!("/file {}", bob.dir.str("big.bin")));

    // A file, to a folder that has one of that name: saved beside it.
    let file = bob.dir.path("photo.png");
    let sha = random_file(&file, 300_000);
    std::fs::write(alice.dir.path("photo.png"), b"Alice's own").unwrap();
    bob.msrp.send_line(&format!("/file {}", file.display()));
    let sent = until(&mut bob.msrp, "the file sent", |e| is(e, "sent"));
    assert_eq!(sent["size"], 300_000, "{sent}");
    let message = until(&mut alice.msrp, "the file", |e| is(e, "message"));
    assert_eq!(message["text"], Value::Null, "{message}");
    assert_eq!(message["size"], 300_000, "{message}");
    assert!(
        message["content_type"]
            .as_str()
            .is_some_and(|t| t.starts_with("image/png")),
        "{message}"
    );
    let saved = message["saved"].as_str().expect("saved");
    assert!(saved.ends_with("photo-1.png"), "{message}");
    assert_eq!(sha256(&std::fs::read(saved).unwrap()), sha);
    assert_eq!(
        std::fs::read(alice.dir.path("photo.png")).unwrap(),
        b"Alice's own"
    );
    let id = sent["id"].as_str().unwrap();
    until(&mut bob.msrp, "the file delivered", |e| {
        is(e, "delivered") && e["id"] == id
    });

    // Bob's input ends: he leaves, and Alice's chat ends with his.
    let (rest, stderr, code) = bob.msrp.finish();
    assert_eq!(code, Some(0), "Bob: {stderr}");
    let last: Value = serde_json::from_str(rest.last().expect("ended")).unwrap();
    assert_eq!(last, serde_json::json!({"event":"ended","reason":null}));
    assert!(stderr.contains("unknown command /bogus"), "{stderr}");
    assert!(
        stderr.contains("/file /nonexistent/none.bin: No such file"),
        "{stderr}"
    );
    assert!(
        stderr.contains("2.0 MiB is more than the peer takes in one message"),
        "{stderr}"
    );
    let ended = until(&mut alice.msrp, "Alice's end", |e| is(e, "ended"));
    assert_eq!(ended["reason"], "the peer ended the chat");
    let (_, stderr, code) = alice.msrp.finish();
    assert_eq!(code, Some(0), "Alice: {stderr}");
}
