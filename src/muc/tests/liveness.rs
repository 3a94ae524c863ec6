//! Asking who is still there after the link comes up, and putting back who was there before a
//! restart.

use super::*;
use crate::testing::{Harness, canonical};

const ROOM: &str = "lobby@conference.localhost";

/// The probes sent, as (id, to).
fn probes(out: &[Element]) -> Vec<(String, String)> {
    out.iter()
        .filter(|e| e.name() == "iq" && e.attr("type") == Some("get"))
        .filter(|e| canonical(e).contains("disco#info"))
        .filter_map(|e| Some((e.attr("id")?.to_owned(), e.attr("to")?.to_owned())))
        .collect()
}

fn link_up(h: &mut Harness) -> Vec<(String, String)> {
    h.engine.link_up();
    let out = h.tick();
    probes(&out)
}

fn answer(h: &mut Harness, id: &str, from: &str, error: Option<&str>) -> Vec<Element> {
    match error {
        None => h.send(&format!(
            "<iq type='result' id='{id}' from='{from}' to='{ROOM}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"
        )),
        Some(condition) => h.send(&format!(
            "<iq type='error' id='{id}' from='{from}' to='{ROOM}'><error type='cancel'><{condition} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
        )),
    }
}

#[test]
fn after_the_link_comes_up_sessions_that_are_gone_leave_with_333() {
    let mut h = Harness::lobby_with_alice_and_bob();
    h.join("carol@localhost/c", &format!("{ROOM}/Carol"));
    let asked = link_up(&mut h);
    let to: Vec<&str> = asked.iter().map(|(_, to)| to.as_str()).collect();
    assert_eq!(to.len(), 3, "{asked:?}");
    for jid in ["alice@localhost/pc", "bob@localhost/m", "carol@localhost/c"] {
        assert!(to.contains(&jid), "{jid} is asked: {asked:?}");
    }
    let id = |who: &str| {
        asked
            .iter()
            .find(|(_, to)| to.starts_with(who))
            .map(|(id, _)| id.clone())
            .unwrap_or_default()
    };
    // Bob's server no longer knows his session: he is removed, the others hear 333.
    let out = answer(
        &mut h,
        &id("bob"),
        "bob@localhost/m",
        Some("service-unavailable"),
    );
    let to_alice: Vec<String> = out
        .iter()
        .filter(|e| e.attr("to") == Some("alice@localhost/pc"))
        .map(canonical)
        .collect();
    assert_eq!(to_alice.len(), 1, "{to_alice:?}");
    assert!(to_alice[0].contains("type='unavailable'"));
    assert!(to_alice[0].contains("code='333'"));
    assert!(to_alice[0].contains(&format!("from='{ROOM}/Bob'")));
    // Alice answers: she stays. Carol's server is unreachable: undecided, she stays too.
    assert!(answer(&mut h, &id("alice"), "alice@localhost/pc", None).is_empty());
    assert!(
        answer(
            &mut h,
            &id("carol"),
            "carol@localhost/c",
            Some("remote-server-timeout")
        )
        .is_empty()
    );
    let out = h.send(&format!(
        "<message type='groupchat' id='g' from='alice@localhost/pc' to='{ROOM}'><body>hi</body></message>"
    ));
    let heard: Vec<&str> = out.iter().filter_map(|e| e.attr("to")).collect();
    assert_eq!(heard, ["alice@localhost/pc", "carol@localhost/c"]);
    // An answer from someone else than the session asked changes nothing.
    h.join("dave@localhost/d", &format!("{ROOM}/Dave"));
    let asked = link_up(&mut h);
    let (dave_id, _) = asked
        .iter()
        .find(|(_, to)| to.starts_with("dave"))
        .cloned()
        .unwrap_or_default();
    assert!(
        answer(
            &mut h,
            &dave_id,
            "mallory@localhost/x",
            Some("item-not-found")
        )
        .is_empty()
    );
}

fn persistent_lobby() -> Harness {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", ROOM, "Alice");
    h.send(&format!(
        "<iq type='set' id='p' from='alice@localhost/pc' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#owner'>\
         <x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_persistentroom'><value>1</value></field></x></query></iq>"
    ));
    h
}

#[test]
fn the_sessions_of_persistent_rooms_are_stored() {
    let mut h = persistent_lobby();
    // The room became persistent with its owner in it: she is stored at once.
    assert!(h.stored.iter().any(|c| matches!(c,
        crate::store::Change::PutOccupant { occupant, .. } if occupant.jid == "alice@localhost/pc")));
    h.stored.clear();
    h.join("bob@localhost/m", &format!("{ROOM}/Bob"));
    let puts: Vec<String> = h
        .stored
        .iter()
        .filter_map(|c| match c {
            crate::store::Change::PutOccupant { occupant, .. } => Some(format!(
                "{} {} {}",
                occupant.jid, occupant.nick, occupant.role
            )),
            _ => None,
        })
        .collect();
    assert_eq!(puts, ["bob@localhost/m Bob participant"]);
    h.stored.clear();
    h.send(&format!(
        "<presence type='unavailable' from='bob@localhost/m' to='{ROOM}/Bob'/>"
    ));
    assert!(h.stored.iter().any(|c| matches!(c,
        crate::store::Change::DeleteOccupant { jid, .. } if jid == "bob@localhost/m")));
    // A temporary room's occupants are not stored.
    h.stored.clear();
    h.create_instant("alice@localhost/pc", "temp@conference.localhost", "Alice");
    h.join("bob@localhost/m", "temp@conference.localhost/Bob");
    assert!(
        !h.stored
            .iter()
            .any(|c| matches!(c, crate::store::Change::PutOccupant { .. }))
    );
}

#[test]
fn after_a_restart_who_answers_is_back_and_who_does_not_is_told() {
    // The store held a persistent room with Bob and Carol in it (Alice, its owner, had left).
    let mut h = Harness::new();
    let config = crate::muc::config::RoomConfig {
        persistent: true,
        ..Default::default()
    };
    let stored = crate::store::StoredRoom {
        jid: ROOM.into(),
        config: ron::to_string(&config).expect("ron"),
        subject: None,
        affiliations: vec![crate::store::StoredAffiliation {
            jid: "alice@localhost".into(),
            affiliation: "owner".into(),
            nick: None,
            reason: None,
        }],
        history: Vec::new(),
        game: None,
        requests: Vec::new(),
        invitations: Vec::new(),
        occupants: ["bob@localhost/m Bob", "carol@localhost/c Carol"]
            .iter()
            .map(|s| {
                let (jid, nick) = s.split_once(' ').unwrap_or_default();
                crate::store::StoredOccupant {
                    jid: jid.into(),
                    nick: nick.into(),
                    role: "participant".into(),
                }
            })
            .collect(),
        archive: Vec::new(),
    };
    let now = chrono::DateTime::<chrono::Utc>::from(h.now);
    assert_eq!(
        crate::store::capture::restore(&mut h.engine, vec![stored], now),
        1
    );
    let asked = link_up(&mut h);
    assert_eq!(asked.len(), 2, "{asked:?}");
    let id = |who: &str| {
        asked
            .iter()
            .find(|(_, to)| to.starts_with(who))
            .map(|(id, _)| id.clone())
            .unwrap_or_default()
    };
    // Bob answers: he is an occupant again, and hears nothing (his client never noticed).
    let out = answer(&mut h, &id("bob"), "bob@localhost/m", None);
    assert!(
        out.iter().all(|e| e.attr("to") != Some("bob@localhost/m")),
        "{:?}",
        out.iter().map(canonical).collect::<Vec<_>>()
    );
    let out = h.send(&format!(
        "<message type='groupchat' id='g' from='bob@localhost/m' to='{ROOM}'><body>still here</body></message>"
    ));
    assert_eq!(
        out.len(),
        1,
        "{:?}",
        out.iter().map(canonical).collect::<Vec<_>>()
    );
    assert_eq!(out[0].attr("to"), Some("bob@localhost/m"));
    assert_eq!(out[0].attr("type"), Some("groupchat"));
    // Carol does not answer: she is asked twice more, ten seconds apart, and then told she was
    // removed, Bob that she left.
    for _ in 0..2 {
        h.advance(10);
        let again = probes(&h.tick());
        assert_eq!(again.len(), 1, "{again:?}");
        assert_eq!(again[0].1, "carol@localhost/c");
    }
    h.advance(10);
    let out = h.tick();
    let told: Vec<String> = out.iter().map(canonical).collect();
    let to_carol = told
        .iter()
        .find(|t| t.contains("to='carol@localhost/c'"))
        .expect("carol is told");
    assert!(to_carol.contains("type='unavailable'") && to_carol.contains("code='110'"));
    assert!(to_carol.contains("code='333'"));
    let to_bob = told
        .iter()
        .find(|t| t.contains("to='bob@localhost/m'"))
        .expect("bob hears carol leave");
    assert!(to_bob.contains(&format!("from='{ROOM}/Carol'")) && to_bob.contains("code='333'"));
    // The store forgets her.
    assert!(h.stored.iter().any(|c| matches!(c,
        crate::store::Change::DeleteOccupant { jid, .. } if jid == "carol@localhost/c")));
}

#[test]
fn a_link_that_comes_up_again_asks_anew_and_only_the_new_answer_counts() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let first = link_up(&mut h);
    assert_eq!(first.len(), 2, "{first:?}");
    // Several links coming up at once ask nobody twice.
    assert_eq!(link_up(&mut h), Vec::new());
    // The link went down before the server answered (a restarting server drops what comes
    // early); when it is up again, every session is asked again.
    h.advance(3);
    let second = link_up(&mut h);
    let mut to: Vec<&str> = second.iter().map(|(_, to)| to.as_str()).collect();
    to.sort();
    assert_eq!(to, ["alice@localhost/pc", "bob@localhost/m"]);
    assert!(second.iter().all(|probe| !first.contains(probe)));
    // An answer to the forgotten question does nothing; the new one removes Bob.
    let (old_bob, _) = first
        .iter()
        .find(|(_, to)| to.starts_with("bob"))
        .expect("bob was asked");
    let out = answer(
        &mut h,
        old_bob,
        "bob@localhost/m",
        Some("service-unavailable"),
    );
    assert!(
        out.is_empty(),
        "{:?}",
        out.iter().map(canonical).collect::<Vec<_>>()
    );
    let (new_bob, _) = second
        .iter()
        .find(|(_, to)| to.starts_with("bob"))
        .expect("bob is asked again");
    let out = answer(
        &mut h,
        new_bob,
        "bob@localhost/m",
        Some("service-unavailable"),
    );
    assert!(
        out.iter()
            .any(|e| canonical(e).contains("code='333'")
                && e.attr("to") == Some("alice@localhost/pc")),
        "{:?}",
        out.iter().map(canonical).collect::<Vec<_>>()
    );
}

#[test]
fn an_answer_that_says_nothing_is_asked_again_and_a_later_error_removes() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let asked = link_up(&mut h);
    let (bob, _) = asked
        .iter()
        .find(|(_, to)| to.starts_with("bob"))
        .expect("bob is asked")
        .clone();
    // The server could not tell (a restarting server's host not yet serving): nothing happens.
    let out = answer(
        &mut h,
        &bob,
        "bob@localhost/m",
        Some("remote-server-not-found"),
    );
    assert!(
        out.is_empty(),
        "{:?}",
        out.iter().map(canonical).collect::<Vec<_>>()
    );
    // Ten seconds later Bob (and Alice, who did not answer) are asked again; now the server
    // knows Bob's session is gone.
    h.advance(10);
    let again = probes(&h.tick());
    assert_eq!(again.len(), 2, "{again:?}");
    let (bob, _) = again
        .iter()
        .find(|(_, to)| to.starts_with("bob"))
        .expect("bob is asked again");
    let out = answer(&mut h, bob, "bob@localhost/m", Some("service-unavailable"));
    assert!(
        out.iter()
            .any(|e| canonical(e).contains("code='333'")
                && e.attr("to") == Some("alice@localhost/pc")),
        "{:?}",
        out.iter().map(canonical).collect::<Vec<_>>()
    );
    // A live session that never answers keeps its place after the last try.
    for _ in 0..3 {
        h.advance(10);
        h.tick();
    }
    h.advance(10);
    assert!(probes(&h.tick()).is_empty());
}
