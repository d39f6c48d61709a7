//! NICKNAME (RFC 7701 §7.1) between a participant and a chat room's focus:
//! the focus grants a free nickname and refuses a taken one with 425, an
//! endpoint that is no focus answers 501 (RFC 4975 §10.9), and no answer
//! within the transaction timeout is a timeout (RFC 4975 §7.1.1).

use std::time::Duration;

use futures_util::future::join;
use msrp_endpoint::{Error, Incoming, Phase, Runtime, Session};

use crate::support::{Security, WAIT, answer_config, call_config, direct_pair_with, within};

/// Alice's transaction timeout: short, for the unanswered request, and
/// long enough for a loaded machine to answer every other request in time.
const TRANSACTION_TIMEOUT: Duration = Duration::from_secs(3);

/// Alice (the connector) is a participant; Bob (the acceptor) acts as the
/// focus, with nicknames on. Alice gets "alice" and is refused "bob", which
/// the room has given out; Bob, asking Alice, gets 501. A request the focus
/// leaves unanswered times out.
pub async fn nickname_set_and_refused<R: Runtime>(rt: R) {
    let mut participant_config = call_config(Security::Tcp);
    participant_config.protocol.transaction_timeout = TRANSACTION_TIMEOUT;
    let mut focus_config = answer_config(Security::Tcp);
    focus_config.nicknames = true;
    let (alice, mut bob) =
        direct_pair_with(&rt, participant_config, focus_config, Security::Tcp).await;

    let participant = async {
        alice.set_nickname("alice").await.expect("a free nickname");
        match alice.set_nickname("bob").await {
            Err(Error::Refused { code: 425, comment }) => {
                assert_eq!(comment, "Nickname reserved or already in use");
            }
            other => panic!("a taken nickname: {other:?}"),
        }
    };
    let (granted, ()) = within(
        &rt,
        WAIT,
        "the focus to answer two NICKNAME requests",
        join(run_focus(&mut bob, 2), participant),
    )
    .await;
    assert_eq!(granted, ["alice"], "the nicknames the focus granted");

    // Alice's session has nicknames off: she does not implement the method.
    match within(
        &rt,
        WAIT,
        "a participant to answer",
        bob.set_nickname("bob"),
    )
    .await
    {
        Err(Error::Refused { code: 501, .. }) => {}
        other => panic!("NICKNAME to a participant: {other:?}"),
    }

    // The focus takes the request and never answers in time.
    let (timed_out, request) = within(
        &rt,
        WAIT,
        "a NICKNAME left unanswered to time out",
        join(alice.set_nickname("carol"), async {
            match bob.next_incoming().await {
                Some(Incoming::Nickname { request, nickname }) if nickname == "carol" => request,
                other => panic!("the focus expected carol's request: {other:?}"),
            }
        }),
    )
    .await;
    assert!(
        matches!(timed_out, Err(Error::Timeout(Phase::Nickname))),
        "{timed_out:?}"
    );
    // A late answer still goes out; the participant ignores it and goes on.
    bob.answer_nickname(request, 200)
        .await
        .expect("a late answer");
    let (granted, dave) = within(
        &rt,
        WAIT,
        "a NICKNAME after a timeout",
        join(run_focus(&mut bob, 1), alice.set_nickname("dave")),
    )
    .await;
    dave.expect("the session goes on after a timeout");
    assert_eq!(granted, ["dave"]);
}

/// A focus for `requests` NICKNAME requests: "bob" is reserved, any other
/// nickname is granted once and refused with 425 after. Returns the
/// nicknames granted.
async fn run_focus(focus: &mut Session, requests: usize) -> Vec<String> {
    let mut taken = vec!["bob".to_owned()];
    let mut granted = Vec::new();
    for _ in 0..requests {
        let Some(Incoming::Nickname { request, nickname }) = focus.next_incoming().await else {
            panic!("the focus expected a NICKNAME request");
        };
        let code = if taken.contains(&nickname) {
            425
        } else {
            taken.push(nickname.clone());
            granted.push(nickname);
            200
        };
        focus
            .answer_nickname(request, code)
            .await
            .expect("the focus answers");
    }
    granted
}
