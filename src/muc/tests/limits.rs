//! Allowances: rates checked on arrival, room creation.

use super::*;
use crate::testing::{Harness, canonical};

const ROOM: &str = "lobby@conference.localhost";
const BOB: &str = "bob@localhost/m";

fn lobby(allowances: Allowances) -> Harness {
    let mut h = Harness::with_allowances(allowances);
    h.create_instant("alice@localhost/pc", ROOM, "Alice");
    h.join(BOB, &format!("{ROOM}/Bob"));
    h
}

fn push(h: &mut Harness, xml: &str) {
    h.engine.push(
        crate::stanza::Inbound::from_element(crate::testing::parse(xml)),
        h.now,
    );
}

/// Ids of the error replies and of the messages Alice received, in order.
fn split(out: &[xmpp_parsers::minidom::Element]) -> (Vec<String>, Vec<String>) {
    let mut refused = Vec::new();
    let mut relayed = Vec::new();
    for e in out {
        let id = e.attr("id").unwrap_or_default().to_owned();
        if e.attr("type") == Some("error") {
            assert!(
                canonical(e).contains("resource-constraint"),
                "{}",
                canonical(e)
            );
            assert!(canonical(e).contains("type='wait'"), "{}", canonical(e));
            refused.push(id);
        } else if e.attr("to") == Some("alice@localhost/pc") && e.name() == "message" {
            relayed.push(id);
        }
    }
    (refused, relayed)
}

#[test]
fn an_occupant_over_its_message_rate_is_refused_and_not_relayed() {
    let mut h = lobby(Allowances::default());
    for n in 0..25 {
        push(
            &mut h,
            &format!(
                "<message type='groupchat' id='m{n}' from='{BOB}' to='{ROOM}'><body>{n}</body></message>"
            ),
        );
    }
    let out = h.tick();
    let (refused, relayed) = split(&out);
    // The burst passes; the rest is refused on arrival and never reaches the room.
    assert_eq!(
        relayed,
        (0..10).map(|n| format!("m{n}")).collect::<Vec<_>>()
    );
    assert_eq!(
        refused,
        (10..25).map(|n| format!("m{n}")).collect::<Vec<_>>()
    );
    let text = out
        .iter()
        .find(|e| e.attr("type") == Some("error"))
        .map(canonical)
        .unwrap_or_default();
    assert!(text.contains("at most 60 a minute"), "{text}");
    // A second later, one more message is allowed (60 a minute).
    h.advance(1);
    let out = h.send(&format!(
        "<message type='groupchat' id='later' from='{BOB}' to='{ROOM}'><body>x</body></message>"
    ));
    assert_eq!(split(&out), (vec![], vec!["later".to_owned()]));
    // Others in the room are not held back by Bob's exhausted allowance.
    let out = h.send(&format!(
        "<message type='groupchat' id='alice' from='alice@localhost/pc' to='{ROOM}'><body>x</body></message>"
    ));
    assert_eq!(split(&out), (vec![], vec!["alice".to_owned()]));
}

#[test]
fn the_owner_sets_the_rooms_message_rate() {
    let mut h = lobby(Allowances::default());
    let out = h.send(&format!(
        "<iq type='set' id='c' from='alice@localhost/pc' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#owner'>\
         <x xmlns='jabber:x:data' type='submit'><field var='palaver#roomconfig_messagerate'><value>700</value></field></x></query></iq>"
    ));
    assert!(
        canonical(&out[0]).contains("not a number from 1 to 600"),
        "{}",
        canonical(&out[0])
    );
    let out = h.send(&format!(
        "<iq type='set' id='c' from='alice@localhost/pc' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#owner'>\
         <x xmlns='jabber:x:data' type='submit'><field var='palaver#roomconfig_messagerate'><value>600</value></field></x></query></iq>"
    ));
    assert!(
        out.iter()
            .any(|e| e.name() == "iq" && e.attr("type") == Some("result"))
    );
    // At 600 a minute, ten a second come back.
    for n in 0..10 {
        push(
            &mut h,
            &format!(
                "<message type='groupchat' id='a{n}' from='{BOB}' to='{ROOM}'><body>x</body></message>"
            ),
        );
    }
    let (refused, _) = split(&h.tick());
    assert!(refused.is_empty());
    h.advance(1);
    for n in 0..11 {
        push(
            &mut h,
            &format!(
                "<message type='groupchat' id='b{n}' from='{BOB}' to='{ROOM}'><body>x</body></message>"
            ),
        );
    }
    let (refused, relayed) = split(&h.tick());
    assert_eq!(relayed.len(), 10);
    assert_eq!(refused, ["b10"]);
}

#[test]
fn invitations_nick_changes_and_requests_have_their_own_allowances() {
    let mut h = lobby(Allowances::default());
    // One occupant once sent a thousand invitations to one person in three seconds.
    for n in 0..8 {
        push(
            &mut h,
            &format!(
                "<message id='i{n}' from='{BOB}' to='{ROOM}'><x xmlns='http://jabber.org/protocol/muc#user'>\
                      <invite to='carol@localhost'/></x></message>"
            ),
        );
    }
    let out = h.tick();
    let invited = out
        .iter()
        .filter(|e| e.attr("to") == Some("carol@localhost"))
        .count();
    let refused: Vec<&str> = out
        .iter()
        .filter(|e| e.attr("type") == Some("error"))
        .filter_map(|e| e.attr("id"))
        .collect();
    assert_eq!(invited, 5);
    assert_eq!(refused, ["i5", "i6", "i7"]);
    // Nick changes: three at once, then one a minute.
    let mut names = Vec::new();
    for n in 0..5 {
        push(
            &mut h,
            &format!("<presence id='n{n}' from='{BOB}' to='{ROOM}/Bob{n}'/>"),
        );
        names.push(format!("Bob{n}"));
    }
    let out = h.tick();
    let refused: Vec<&str> = out
        .iter()
        .filter(|e| e.attr("type") == Some("error"))
        .filter_map(|e| e.attr("id"))
        .collect();
    assert_eq!(refused, ["n3", "n4"]);
    assert!(
        out.iter()
            .any(|e| canonical(e).contains("nickname too often"))
    );
    // IQ requests, service-wide per sender.
    for n in 0..60 {
        push(
            &mut h,
            &format!(
                "<iq type='get' id='q{n}' from='{BOB}' to='conference.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"
            ),
        );
    }
    let out = h.tick();
    let refused = out
        .iter()
        .filter(|e| canonical(e).contains("resource-constraint"))
        .count();
    assert_eq!(refused, 10);
}

#[test]
fn a_busy_room_refuses_beyond_its_total_rate() {
    let mut h = Harness::with_allowances(Allowances {
        room_message_burst: 20,
        room_messages_per_second: 5,
        ..Allowances::default()
    });
    h.create_instant("alice@localhost/pc", ROOM, "Alice");
    for n in 0..5 {
        h.join(&format!("u{n}@localhost/r"), &format!("{ROOM}/U{n}"));
    }
    for round in 0..6 {
        for n in 0..5 {
            push(
                &mut h,
                &format!(
                    "<message type='groupchat' id='{round}-{n}' from='u{n}@localhost/r' to='{ROOM}'><body>x</body></message>"
                ),
            );
        }
    }
    let (refused, relayed) = split(&h.tick());
    assert_eq!(relayed.len(), 20);
    assert_eq!(refused.len(), 10);
}

#[test]
fn who_may_create_rooms_and_how_many() {
    let create = |h: &mut Harness, user: &str, room: &str| {
        let nick = user.split('@').next().unwrap_or_default().to_owned();
        h.send(&format!(
            "<presence from='{user}' to='{room}@conference.localhost/{nick}'><x xmlns='http://jabber.org/protocol/muc'/></presence>"
        ))
    };
    // Local users (of localhost, the server this service belongs to), by default.
    let mut h = Harness::with_allowances(Allowances::default());
    let out = create(&mut h, "eve@elsewhere.example/r", "remote");
    assert!(
        canonical(&out[0]).contains("not-allowed"),
        "{}",
        canonical(&out[0])
    );
    let out = create(&mut h, "amy@localhost/r", "local");
    assert!(
        canonical(&out[0]).contains("code='201'"),
        "{}",
        canonical(&out[0])
    );
    // A remote user may still enter an existing room.
    h.send("<iq type='set' id='c' from='amy@localhost/r' to='local@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>");
    let out = create(&mut h, "eve@elsewhere.example/r", "local");
    assert!(
        !canonical(&out[0]).contains("error"),
        "{}",
        canonical(&out[0])
    );
    // At most max_rooms_per_user rooms owned at once.
    let mut h = Harness::with_allowances(Allowances {
        max_rooms_per_user: 2,
        ..Allowances::default()
    });
    h.create_instant("amy@localhost/r", "a@conference.localhost", "N");
    h.create_instant("amy@localhost/r", "b@conference.localhost", "N");
    let out = create(&mut h, "amy@localhost/r", "c");
    assert!(
        canonical(&out[0]).contains("resource-constraint"),
        "{}",
        canonical(&out[0])
    );
    assert!(canonical(&out[0]).contains("You already own 2 rooms"));
    // Admins only.
    let mut h = Harness::with_allowances(Allowances {
        room_creation: RoomCreation::Admins,
        ..Allowances::default()
    });
    let out = create(&mut h, "amy@localhost/r", "d");
    assert!(canonical(&out[0]).contains("not-allowed"));
}
