//! XEP-0421 through real stanzas: every presence and message about an occupant carries its id.

use super::ServiceKey;
use crate::testing::{Harness, KEY, assert_stanzas, canonical};

const ROOM: &str = "lobby@conference.localhost";

fn id(room: &str, user: &str) -> String {
    let room = room.parse().unwrap_or_else(|e| panic!("{e}"));
    let user = user.parse().unwrap_or_else(|e| panic!("{e}"));
    ServiceKey(KEY).occupant_id(&room, &user)
}

#[test]
fn presences_messages_history_and_subject_carry_the_occupant_id() {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", ROOM, "Alice");
    let alice = id(ROOM, "alice@localhost");
    let bob = id(ROOM, "bob@localhost");
    h.send(&format!("<message type='groupchat' id='s' from='alice@localhost/pc' to='{ROOM}'><subject>Tea</subject></message>"));
    // A client's own occupant-id is replaced, never relayed.
    let out = h.send(&format!("<message type='groupchat' id='m' from='alice@localhost/pc' to='{ROOM}'><body>hi</body><occupant-id xmlns='urn:xmpp:occupant-id:0' id='forged'/></message>"));
    assert_stanzas(
        &out,
        &[&format!(
            "<message type='groupchat' id='m' from='{ROOM}/Alice' to='alice@localhost/pc'><body>hi</body><occupant-id xmlns='urn:xmpp:occupant-id:0' id='{alice}'/></message>"
        )],
    );
    let out = h.send(&format!("<presence from='bob@localhost/m' to='{ROOM}/Bob'><x xmlns='http://jabber.org/protocol/muc'/><occupant-id xmlns='urn:xmpp:occupant-id:0' id='forged'/></presence>"));
    assert_stanzas(
        &out,
        &[
            &format!(
                "<presence from='{ROOM}/Alice' to='bob@localhost/m'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/></x><occupant-id xmlns='urn:xmpp:occupant-id:0' id='{alice}'/></presence>"
            ),
            &format!(
                "<presence from='{ROOM}/Bob' to='alice@localhost/pc'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant' jid='bob@localhost/m'/></x><occupant-id xmlns='urn:xmpp:occupant-id:0' id='{bob}'/></presence>"
            ),
            &format!(
                "<presence from='{ROOM}/Bob' to='bob@localhost/m'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/><item affiliation='none' role='participant'/></x><occupant-id xmlns='urn:xmpp:occupant-id:0' id='{bob}'/></presence>"
            ),
            &format!(
                "<message type='groupchat' id='m' from='{ROOM}/Alice' to='bob@localhost/m'><body>hi</body><occupant-id xmlns='urn:xmpp:occupant-id:0' id='{alice}'/>\
               <delay xmlns='urn:xmpp:delay' from='{ROOM}' stamp='2026-01-01T00:00:00+00:00'/></message>"
            ),
            &format!(
                "<message type='groupchat' from='{ROOM}/Alice' to='bob@localhost/m'><subject>Tea</subject><occupant-id xmlns='urn:xmpp:occupant-id:0' id='{alice}'/>\
                   <delay xmlns='urn:xmpp:delay' from='{ROOM}' stamp='2026-01-01T00:00:00+00:00'/></message>"
            ),
        ],
    );
    // Private messages too.
    let out = h.send(&format!("<message type='chat' id='p' from='bob@localhost/m' to='{ROOM}/Alice'><body>psst</body></message>"));
    assert!(
        canonical(&out[0]).contains(&format!("id='{bob}'")),
        "{}",
        canonical(&out[0])
    );
}

#[test]
fn the_id_is_stable_across_nicks_and_rejoins_and_differs_between_rooms() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let bob = id(ROOM, "bob@localhost");
    let ids = |out: &[xmpp_parsers::minidom::Element]| -> Vec<String> {
        out.iter()
            .filter_map(|e| e.get_child("occupant-id", super::NS))
            .filter_map(|o| o.attr("id").map(str::to_owned))
            .collect()
    };
    let out = h.send(&format!(
        "<presence from='bob@localhost/m' to='{ROOM}/Robert'/>"
    ));
    assert!(
        !ids(&out).is_empty() && ids(&out).iter().all(|i| *i == bob),
        "{:?}",
        ids(&out)
    );
    h.send(&format!(
        "<presence type='unavailable' from='bob@localhost/m' to='{ROOM}/Robert'/>"
    ));
    let out = h.join("bob@localhost/other", &format!("{ROOM}/Bobby"));
    let last = out
        .iter()
        .rfind(|e| e.name() == "presence")
        .map(canonical)
        .unwrap_or_default();
    assert!(last.contains(&format!("id='{bob}'")), "{last}");
    h.create_instant("carol@localhost/c", "chess@conference.localhost", "Carol");
    let out = h.join("bob@localhost/m", "chess@conference.localhost/Bob");
    assert!(ids(&out).contains(&id("chess@conference.localhost", "bob@localhost")));
    assert!(!ids(&out).contains(&bob));
    // Rooms announce it.
    let out = h.send(&format!("<iq type='get' id='i' from='bob@localhost/m' to='{ROOM}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"));
    let info = canonical(&out[0]);
    assert!(info.contains("var='urn:xmpp:occupant-id:0'"), "{info}");
}
