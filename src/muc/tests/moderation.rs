//! XEP-0425 moderation and XEP-0424 retraction through real stanzas.

use xmpp_parsers::minidom::Element;

use crate::muc::occupant_id::ServiceKey;
use crate::testing::{Harness, KEY, assert_stanzas, canonical};

const ROOM: &str = "lobby@conference.localhost";
const ALICE: &str = "alice@localhost/pc";
const BOB: &str = "bob@localhost/m";

fn say(h: &mut Harness, from: &str, id: &str, body: &str) -> String {
    let out = h.send(&format!(
        "<message type='groupchat' id='{id}' from='{from}' to='{ROOM}'><body>{body}</body></message>"
    ));
    out[0]
        .get_child("stanza-id", "urn:xmpp:sid:0")
        .and_then(|s| s.attr("id"))
        .unwrap_or_default()
        .to_owned()
}

fn moderate(h: &mut Harness, from: &str, id: &str) -> Vec<Element> {
    h.send(&format!(
        "<iq type='set' id='mod' from='{from}' to='{ROOM}'><moderate id='{id}' xmlns='urn:xmpp:message-moderate:1'>\
           <retract xmlns='urn:xmpp:message-retract:1'/><reason>Spam</reason></moderate></iq>"
    ))
}

fn archived(h: &mut Harness, from: &str) -> Vec<String> {
    h.send(&format!(
        "<iq type='set' id='q' from='{from}' to='{ROOM}'><query xmlns='urn:xmpp:mam:2'/></iq>"
    ))
    .iter()
    .filter(|e| e.name() == "message")
    .map(canonical)
    .collect()
}

fn oid(user: &str) -> String {
    let room = ROOM.parse().unwrap_or_else(|e| panic!("{e}"));
    let user = user.parse().unwrap_or_else(|e| panic!("{e}"));
    ServiceKey(KEY).occupant_id(&room, &user)
}

#[test]
fn a_moderator_retracts_a_message_the_room_tells_everyone_and_keeps_a_tombstone() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let spam = say(&mut h, BOB, "s1", "buy potions");
    let alice = oid("alice@localhost");
    let bob = oid("bob@localhost");
    let out = moderate(&mut h, ALICE, &spam);
    let announcement = |to: &str| {
        format!(
            "<message type='groupchat' id='retract-{spam}' from='{ROOM}' to='{to}'>\
               <body>Alice retracted a message.</body>\
               <retract xmlns='urn:xmpp:message-retract:1' id='{spam}'>\
                 <moderated xmlns='urn:xmpp:message-moderate:1' by='{ROOM}/Alice'><occupant-id xmlns='urn:xmpp:occupant-id:0' id='{alice}'/></moderated>\
                 <reason>Spam</reason></retract>\
               <fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:message-retract:1'/></message>"
        )
    };
    assert_stanzas(
        &out,
        &[
            &announcement(ALICE),
            &announcement(BOB),
            &format!("<iq type='result' id='mod' from='{ROOM}' to='{ALICE}'/>"),
        ],
    );
    // The archive keeps the tombstone (and the announcement, for clients catching up).
    let messages = archived(&mut h, BOB);
    assert_eq!(messages.len(), 2);
    let tombstone = &messages[0];
    assert!(!tombstone.contains("buy potions"), "{tombstone}");
    for part in [
        format!("<{{urn:xmpp:occupant-id:0}}occupant-id id='{bob}'>"),
        "<{urn:xmpp:message-retract:1}retracted stamp='2026-01-01T00:00:00+00:00'>".to_owned(),
        format!("<{{urn:xmpp:message-moderate:1}}moderated by='{ROOM}/Alice'>"),
        "<{urn:xmpp:message-retract:1}reason>Spam</reason>".to_owned(),
    ] {
        assert!(tombstone.contains(&part), "{part} in {tombstone}");
    }
    assert!(messages[1].contains("Alice retracted a message."));
    // So does the history a newcomer gets.
    let out = h.join("carol@localhost/c", &format!("{ROOM}/Carol"));
    let all: String = out.iter().map(canonical).collect();
    assert!(
        !all.contains("buy potions") && all.contains("retracted stamp="),
        "{all}"
    );
}

#[test]
fn only_moderators_retract_and_only_what_the_room_holds() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let hers = say(&mut h, ALICE, "a", "hi");
    let out = moderate(&mut h, BOB, &hers);
    assert!(
        canonical(&out[0]).contains("}forbidden>"),
        "{}",
        canonical(&out[0])
    );
    let out = moderate(&mut h, "eve@localhost/e", &hers);
    assert!(canonical(&out[0]).contains("}forbidden>"));
    let out = moderate(&mut h, ALICE, "nope");
    assert!(canonical(&out[0]).contains("}item-not-found>"));
    let out = h.send(&format!(
        "<iq type='set' id='mod' from='{ALICE}' to='{ROOM}'><moderate id='{hers}' xmlns='urn:xmpp:message-moderate:1'/></iq>"
    ));
    assert!(canonical(&out[0]).contains("}bad-request>"));
    assert!(archived(&mut h, BOB)[0].contains(">hi</"));
}

#[test]
fn an_occupant_retracting_its_own_message_leaves_a_tombstone() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let mine = say(&mut h, BOB, "b", "oops");
    let hers = say(&mut h, ALICE, "a", "keep");
    let retract = |id: &str| {
        format!(
            "<message type='groupchat' id='r' from='{BOB}' to='{ROOM}'><retract xmlns='urn:xmpp:message-retract:1' id='{id}'/>\
             <fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:message-retract:1'/><body>/me retracted a message</body><store xmlns='urn:xmpp:hints'/></message>"
        )
    };
    // Relayed to everyone as sent.
    let out = h.send(&retract(&mine));
    assert_eq!(out.len(), 2);
    // Another's message stays.
    h.send(&retract(&hers));
    let messages = archived(&mut h, BOB);
    assert!(
        !messages[0].contains("oops") && messages[0].contains("retracted stamp="),
        "{}",
        messages[0]
    );
    assert!(messages[1].contains(">keep</"), "{}", messages[1]);
}
