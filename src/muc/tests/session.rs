//! §7.2.8 multi-session nicks: one occupant, several resources of its user.

use crate::testing::{Harness, assert_stanzas, canonical};

const ROOM: &str = "lobby@conference.localhost";

/// Alice (owner, moderator) and Bob from his phone (`m`) and his laptop (`l`).
fn bob_twice() -> Harness {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out = h.join("bob@localhost/l", "lobby@conference.localhost/Bob");
    // The laptop gets the room as a joiner does; nobody else hears of it.
    assert_stanzas(
        &out,
        &[
            "<presence from='lobby@conference.localhost/Alice' to='bob@localhost/l'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/></x></presence>",
            "<presence from='lobby@conference.localhost/Bob' to='bob@localhost/l'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/><item affiliation='none' role='participant'/></x></presence>",
            "<message type='groupchat' from='lobby@conference.localhost' to='bob@localhost/l'><subject/></message>",
        ],
    );
    h
}

#[test]
fn a_second_resource_with_the_held_nick_joins_the_same_occupant() {
    let mut h = bob_twice();
    // Room traffic reaches both sessions, whichever sends.
    let out = h.send(&format!("<message type='groupchat' id='g' from='bob@localhost/l' to='{ROOM}'><body>from the laptop</body></message>"));
    assert_stanzas(
        &out,
        &[
            "<message type='groupchat' id='g' from='lobby@conference.localhost/Bob' to='alice@localhost/pc'><body>from the laptop</body></message>",
            "<message type='groupchat' id='g' from='lobby@conference.localhost/Bob' to='bob@localhost/m'><body>from the laptop</body></message>",
            "<message type='groupchat' id='g' from='lobby@conference.localhost/Bob' to='bob@localhost/l'><body>from the laptop</body></message>",
        ],
    );
    // Private messages too (§7.2.8's RECOMMENDED).
    let out = h.send(&format!(
        "<message type='chat' id='p' from='alice@localhost/pc' to='{ROOM}/Bob'><body>psst</body></message>"
    ));
    assert_stanzas(
        &out,
        &[
            "<message type='chat' id='p' from='lobby@conference.localhost/Alice' to='bob@localhost/m'><body>psst</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>",
            "<message type='chat' id='p' from='lobby@conference.localhost/Alice' to='bob@localhost/l'><body>psst</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>",
        ],
    );
    // Still one occupant: the room counts two.
    let out = h.send(&format!(
        "<iq type='get' id='i' from='carol@localhost/c' to='{ROOM}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"
    ));
    assert!(
        canonical(&out[0]).contains("var='muc#roominfo_occupants'><{jabber:x:data}value>2</value>"),
        "{}",
        canonical(&out[0])
    );
    // Another user still may not take the nick.
    let out = h.join("carol@localhost/c", "lobby@conference.localhost/Bob");
    assert!(canonical(&out[0]).contains("}conflict>"));
}

#[test]
fn status_of_the_primary_session_is_everyones_of_another_only_its_own() {
    let mut h = bob_twice();
    let out = h.send(&format!(
        "<presence from='bob@localhost/l' to='{ROOM}/Bob'><show>away</show></presence>"
    ));
    assert_stanzas(
        &out,
        &[
            "<presence from='lobby@conference.localhost/Bob' to='bob@localhost/l'><show>away</show><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/><item affiliation='none' role='participant'/></x></presence>",
        ],
    );
    let out = h.send(&format!(
        "<presence from='bob@localhost/m' to='{ROOM}/Bob'><show>dnd</show></presence>"
    ));
    assert_stanzas(
        &out,
        &[
            "<presence from='lobby@conference.localhost/Bob' to='alice@localhost/pc'><show>dnd</show><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant' jid='bob@localhost/m'/></x></presence>",
            "<presence from='lobby@conference.localhost/Bob' to='bob@localhost/m'><show>dnd</show><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/><item affiliation='none' role='participant'/></x></presence>",
            "<presence from='lobby@conference.localhost/Bob' to='bob@localhost/l'><show>away</show><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/><item affiliation='none' role='participant'/></x></presence>",
        ],
    );
}

#[test]
fn the_occupant_leaves_with_its_last_session() {
    let mut h = bob_twice();
    // The phone, the primary, leaves: it hears its exit; Alice hears Bob again, now the laptop.
    let out = h.send(&format!(
        "<presence type='unavailable' from='bob@localhost/m' to='{ROOM}/Bob'/>"
    ));
    assert_stanzas(
        &out,
        &[
            "<presence type='unavailable' from='lobby@conference.localhost/Bob' to='bob@localhost/m'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/><item affiliation='none' role='none'/></x></presence>",
            "<presence from='lobby@conference.localhost/Bob' to='alice@localhost/pc'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant' jid='bob@localhost/l'/></x></presence>",
        ],
    );
    // The phone gets no more room traffic.
    let out = h.send(&format!("<message type='groupchat' id='g' from='alice@localhost/pc' to='{ROOM}'><body>hi</body></message>"));
    assert_eq!(out.len(), 2);
    assert!(out.iter().all(|m| m.attr("to") != Some("bob@localhost/m")));
    // The laptop leaves: now Bob leaves the room.
    let out = h.send(&format!(
        "<presence type='unavailable' from='bob@localhost/l' to='{ROOM}/Bob'/>"
    ));
    assert_stanzas(
        &out,
        &[
            "<presence type='unavailable' from='lobby@conference.localhost/Bob' to='alice@localhost/pc'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='none' jid='bob@localhost/l'/></x></presence>",
            "<presence type='unavailable' from='lobby@conference.localhost/Bob' to='bob@localhost/l'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/><item affiliation='none' role='none'/></x></presence>",
        ],
    );
    // A bounce from one of two sessions takes that session alone, silently.
    let mut h = bob_twice();
    let out = h.send(&format!(
        "<presence type='error' from='bob@localhost/l' to='{ROOM}/Bob'><error type='cancel'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>"
    ));
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn a_nick_change_splits_the_session_off() {
    let mut h = bob_twice();
    let out = h.send(&format!(
        "<presence from='bob@localhost/l' to='{ROOM}/Robert'/>"
    ));
    assert_stanzas(
        &out,
        &[
            // The laptop hears its own nick change...
            "<presence type='unavailable' from='lobby@conference.localhost/Bob' to='bob@localhost/l'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <status code='110'/><status code='303'/><item affiliation='none' role='participant' nick='Robert'/></x></presence>",
            // ...the room hears Robert arrive (Bob stays, on the phone)...
            "<presence from='lobby@conference.localhost/Robert' to='alice@localhost/pc'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant' jid='bob@localhost/l'/></x></presence>",
            "<presence from='lobby@conference.localhost/Robert' to='bob@localhost/m'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant'/></x></presence>",
            "<presence from='lobby@conference.localhost/Robert' to='bob@localhost/l'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/><item affiliation='none' role='participant'/></x></presence>",
            // ...and the laptop sees Bob as someone else now.
            "<presence from='lobby@conference.localhost/Bob' to='bob@localhost/l'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant'/></x></presence>",
        ],
    );
    // Changing back merges the laptop into Bob again; Robert simply leaves.
    let out = h.send(&format!(
        "<presence from='bob@localhost/l' to='{ROOM}/Bob'/>"
    ));
    assert_stanzas(
        &out,
        &[
            "<presence type='unavailable' from='lobby@conference.localhost/Robert' to='bob@localhost/l'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <status code='110'/><status code='303'/><item affiliation='none' role='participant' nick='Bob'/></x></presence>",
            "<presence type='unavailable' from='lobby@conference.localhost/Robert' to='alice@localhost/pc'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='none' jid='bob@localhost/l'/></x></presence>",
            "<presence type='unavailable' from='lobby@conference.localhost/Robert' to='bob@localhost/m'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='none'/></x></presence>",
            "<presence type='unavailable' from='lobby@conference.localhost/Bob' to='bob@localhost/l'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='none'/></x></presence>",
            "<presence from='lobby@conference.localhost/Bob' to='bob@localhost/l'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/><item affiliation='none' role='participant'/></x></presence>",
        ],
    );
    let out = h.send(&format!("<message type='groupchat' id='g' from='alice@localhost/pc' to='{ROOM}'><body>hi</body></message>"));
    assert_eq!(out.len(), 3, "Bob has both sessions again: {out:?}");
}

#[test]
fn a_kick_removes_every_session_and_a_full_room_takes_another() {
    let mut h = bob_twice();
    let out = h.send(&format!(
        "<iq type='set' id='k' from='alice@localhost/pc' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Bob' role='none'/></query></iq>"
    ));
    assert_stanzas(
        &out,
        &[
            "<presence type='unavailable' from='lobby@conference.localhost/Bob' to='bob@localhost/m'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/><status code='307'/><item affiliation='none' role='none'><actor nick='Alice'/></item></x></presence>",
            "<presence type='unavailable' from='lobby@conference.localhost/Bob' to='bob@localhost/l'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/><status code='307'/><item affiliation='none' role='none'><actor nick='Alice'/></item></x></presence>",
            "<presence type='unavailable' from='lobby@conference.localhost/Bob' to='alice@localhost/pc'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><status code='307'/><item affiliation='none' role='none' jid='bob@localhost/m'><actor nick='Alice'/></item></x></presence>",
            "<iq type='result' id='k' from='lobby@conference.localhost' to='alice@localhost/pc'/>",
        ],
    );
    // A room of two is full for a third user, not for a second session of an occupant.
    let mut h = Harness::lobby_with_alice_and_bob();
    h.send(&format!(
        "<iq type='set' id='c' from='alice@localhost/pc' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>\
           <field var='muc#roomconfig_maxusers'><value>2</value></field></x></query></iq>"
    ));
    let out = h.join("carol@localhost/c", "lobby@conference.localhost/Carol");
    assert!(canonical(&out[0]).contains("}service-unavailable>"));
    let out = h.join("bob@localhost/l", "lobby@conference.localhost/Bob");
    assert!(
        canonical(&out[1]).contains("<{http://jabber.org/protocol/muc#user}status code='110'>"),
        "{out:?}"
    );
}

#[test]
fn games_follow_the_occupant_not_the_resource() {
    let mut h = Harness::new();
    let (games, _) = crate::game::load_dir(
        std::path::Path::new("rules"),
        std::path::Path::new("assets"),
    );
    crate::play::install(&mut h.engine, games);
    h.create_instant("alice@localhost/pc", ROOM, "Alice");
    h.join("bob@localhost/m", "lobby@conference.localhost/Bob");
    let say = |h: &mut Harness, from: &str, body: &str| {
        h.send(&format!(
            "<message type='groupchat' from='{from}' to='{ROOM}'><body>{body}</body></message>"
        ))
    };
    say(&mut h, "alice@localhost/pc", "!game nim");
    say(&mut h, "alice@localhost/pc", "!sit");
    say(&mut h, "bob@localhost/m", "!sit");
    say(&mut h, "alice@localhost/pc", "!start");
    say(&mut h, "alice@localhost/pc", "take 1 from 1");
    // Bob's laptop joins his occupant: its own presence carries his seat.
    let out = h.join("bob@localhost/l", "lobby@conference.localhost/Bob");
    let own = out
        .iter()
        .map(canonical)
        .find(|p| p.contains("to='bob@localhost/l'") && p.contains("code='110'"))
        .unwrap_or_default();
    assert!(own.contains("urn:palaver:game:0#seat-B"), "{own}");
    // He plays from the laptop; then the phone leaves and the seat is not vacated.
    let out = say(&mut h, "bob@localhost/l", "take 1 from 2");
    let all: String = out.iter().map(canonical).collect();
    assert!(all.contains("Bob (B) plays take 1 from 2."), "{all}");
    let out = h.send(&format!(
        "<presence type='unavailable' from='bob@localhost/m' to='{ROOM}/Bob'/>"
    ));
    let all: String = out.iter().map(canonical).collect();
    assert!(!all.contains("left"), "{all}");
    let out = say(&mut h, "alice@localhost/pc", "take 1 from 3");
    let all: String = out.iter().map(canonical).collect();
    assert!(
        all.contains("to='bob@localhost/l'") && !all.contains("to='bob@localhost/m'"),
        "{all}"
    );
}
