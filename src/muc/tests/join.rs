//! §7.2 entering a room, §10.1.1 creating one.

use crate::testing::{Harness, assert_stanzas, canonical};

const MUC: &str = "http://jabber.org/protocol/muc";

#[test]
fn creating_a_room_gives_201_and_locks_it() {
    let mut h = Harness::new();
    let out = h.join("alice@localhost/pc", "lobby@conference.localhost/Alice");
    assert_stanzas(
        &out,
        &[
            "<presence from='lobby@conference.localhost/Alice' to='alice@localhost/pc'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
                 <status code='110'/><status code='201'/>\
                 <item affiliation='owner' role='moderator' jid='alice@localhost/pc'/>\
               </x></presence>",
            "<message type='groupchat' from='lobby@conference.localhost' to='alice@localhost/pc'><subject/></message>",
        ],
    );
    // Locked: someone else is told the room does not exist.
    let out = h.join("bob@localhost/m", "lobby@conference.localhost/Bob");
    assert_stanzas(
        &out,
        &[&format!(
            "<presence type='error' from='lobby@conference.localhost/Bob' to='bob@localhost/m'><priority>0</priority>\
               <x xmlns='{MUC}'/>\
               <error type='cancel' by='conference.localhost'>\
                 <item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
                 <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>This room is locked until its owner configures it</text>\
               </error></presence>"
        )],
    );
}

#[test]
fn joining_sends_occupants_then_self_then_history_then_subject() {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", "lobby@conference.localhost", "Alice");
    h.send("<message type='groupchat' id='m1' from='alice@localhost/pc' to='lobby@conference.localhost'><body>hello</body></message>");
    let out = h.join("bob@localhost/m", "lobby@conference.localhost/Bob");
    assert_stanzas(
        &out,
        &[
            // Alice's presence to Bob: no real JID (semi-anonymous, Bob is a participant).
            "<presence from='lobby@conference.localhost/Alice' to='bob@localhost/m'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/></x></presence>",
            // Bob's presence to Alice, a moderator: she sees his JID.
            "<presence from='lobby@conference.localhost/Bob' to='alice@localhost/pc'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant' jid='bob@localhost/m'/></x></presence>",
            "<presence from='lobby@conference.localhost/Bob' to='bob@localhost/m'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/><item affiliation='none' role='participant'/></x></presence>",
            "<message type='groupchat' id='m1' from='lobby@conference.localhost/Alice' to='bob@localhost/m'><body>hello</body>\
               <delay xmlns='urn:xmpp:delay' from='lobby@conference.localhost' stamp='2026-01-01T00:00:00+00:00'/></message>",
            "<message type='groupchat' from='lobby@conference.localhost' to='bob@localhost/m'><subject/></message>",
        ],
    );
}

#[test]
fn nick_conflict_and_missing_nick_are_refused() {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", "lobby@conference.localhost", "Alice");
    let out = h.join("bob@localhost/m", "lobby@conference.localhost/Alice");
    assert_stanzas(
        &out,
        &[&format!(
            "<presence type='error' from='lobby@conference.localhost/Alice' to='bob@localhost/m'><priority>0</priority>\
               <x xmlns='{MUC}'/>\
               <error type='cancel' by='conference.localhost'>\
                 <conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
                 <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>That nickname is already in use by another occupant</text>\
               </error></presence>"
        )],
    );
    let out = h.join("bob@localhost/m", "lobby@conference.localhost");
    assert_stanzas(
        &out,
        &[&format!(
            "<presence type='error' from='lobby@conference.localhost' to='bob@localhost/m'><priority>0</priority>\
               <x xmlns='{MUC}'/>\
               <error type='modify' by='conference.localhost'>\
                 <jid-malformed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
                 <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>A room nickname is required</text>\
               </error></presence>"
        )],
    );
}

#[test]
fn presence_without_muc_element_from_a_stranger_is_kicked() {
    let mut h = Harness::new();
    let out = h.send("<presence from='bob@localhost/m' to='lobby@conference.localhost/Bob'/>");
    assert_stanzas(
        &out,
        &[
            "<presence type='unavailable' from='lobby@conference.localhost/Bob' to='bob@localhost/m'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <status code='110'/><status code='307'/><status code='333'/>\
               <item affiliation='none' role='none'/></x></presence>",
        ],
    );
}

#[test]
fn joining_again_resynchronises() {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", "lobby@conference.localhost", "Alice");
    h.join("bob@localhost/m", "lobby@conference.localhost/Bob");
    let out = h.join("bob@localhost/m", "lobby@conference.localhost/Bob");
    assert_stanzas(
        &out,
        &[
            "<presence from='lobby@conference.localhost/Alice' to='bob@localhost/m'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/></x></presence>",
            "<presence from='lobby@conference.localhost/Bob' to='bob@localhost/m'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/><item affiliation='none' role='participant'/></x></presence>",
            "<message type='groupchat' from='lobby@conference.localhost' to='bob@localhost/m'><subject/></message>",
        ],
    );
}

#[test]
fn history_wishes_limit_what_is_sent() {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", "lobby@conference.localhost", "Alice");
    for i in 0..5 {
        h.send(&format!("<message type='groupchat' id='m{i}' from='alice@localhost/pc' to='lobby@conference.localhost'><body>{i}</body></message>"));
        h.advance(60);
    }
    let count = |h: &mut Harness, user: &str, nick: &str, history: &str| {
        let out = h.send(&format!(
            "<presence from='{user}' to='lobby@conference.localhost/{nick}'><x xmlns='http://jabber.org/protocol/muc'>{history}</x></presence>"
        ));
        out.iter()
            .filter(|e| e.get_child("body", xmpp_parsers::ns::DEFAULT_NS).is_some())
            .count()
    };
    assert_eq!(
        count(&mut h, "b@localhost/1", "B", "<history maxstanzas='2'/>"),
        2
    );
    assert_eq!(
        count(&mut h, "c@localhost/1", "C", "<history maxchars='0'/>"),
        0
    );
    // Messages were 1, 2, 3, 4 and 5 minutes ago.
    assert_eq!(
        count(&mut h, "d@localhost/1", "D", "<history seconds='150'/>"),
        2
    );
    assert_eq!(
        count(
            &mut h,
            "e@localhost/1",
            "E",
            "<history since='2026-01-01T00:01:30Z'/>"
        ),
        3
    );
    assert_eq!(count(&mut h, "f@localhost/1", "F", ""), 5);
}

#[test]
fn a_join_asking_nothing_gets_a_bounded_history() {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", "lobby@conference.localhost", "Alice");
    h.send("<iq type='set' id='c' from='alice@localhost/pc' to='lobby@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_historylength'><value>200</value></field></x></query></iq>");
    let body = "y".repeat(10_000);
    for i in 0..200 {
        h.send(&format!("<message type='groupchat' id='m{i}' from='alice@localhost/pc' to='lobby@conference.localhost'><body>{body}</body></message>"));
    }
    let history = |h: &mut Harness, user: &str, nick: &str, x: &str| -> Vec<String> {
        h.send(&format!(
            "<presence from='{user}' to='lobby@conference.localhost/{nick}'><x xmlns='http://jabber.org/protocol/muc'>{x}</x></presence>"
        ))
        .iter()
        .filter(|e| e.get_child("body", xmpp_parsers::ns::DEFAULT_NS).is_some())
        .filter_map(|e| e.attr("id").map(str::to_owned))
        .collect()
    };
    // 200 messages of 10 KB: a join asking nothing gets the newest that fit in 64 KiB.
    let got = history(&mut h, "b@localhost/1", "B", "");
    assert_eq!(got.len(), 6, "{got:?}");
    assert_eq!(got.last().map(String::as_str), Some("m199"));
    // Asked for, the room's whole history is sent.
    let got = history(&mut h, "c@localhost/1", "C", "<history maxstanzas='1000'/>");
    assert_eq!(got.len(), 200);
}

#[test]
fn full_room_refuses_all_but_owners() {
    let mut h = Harness::new();
    h.join("alice@localhost/pc", "lobby@conference.localhost/Alice");
    h.send("<iq type='set' id='c' from='alice@localhost/pc' to='lobby@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field><field var='muc#roomconfig_maxusers'><value>2</value></field></x></query></iq>");
    assert!(
        !h.join("b@localhost/1", "lobby@conference.localhost/B")
            .is_empty()
    );
    let out = h.join("c@localhost/1", "lobby@conference.localhost/C");
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].attr("type"), Some("error"));
    assert!(crate::testing::canonical(&out[0]).contains("service-unavailable"));
}

/// The presence error `to` gets from `from` for a join with a bad nick.
fn nick_refusal(from: &str, to: &str, condition: &str, kind: &str, text: &str) -> String {
    format!(
        "<presence type='error' from='{from}' to='{to}'><priority>0</priority>\
           <x xmlns='{MUC}'/>\
           <error type='{kind}' by='conference.localhost'>\
             <{condition} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
             <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>{text}</text>\
           </error></presence>"
    )
}

#[test]
fn empty_invisible_and_disallowed_nicks_are_refused() {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", "lobby@conference.localhost", "Alice");
    // Spaces only, a no-break space (NFKC makes it a space): nothing is left.
    for nick in ["   ", "&#xA0;"] {
        let out = h.join(
            "bob@localhost/m",
            &format!("lobby@conference.localhost/{nick}"),
        );
        let shown = if nick == "   " { "   " } else { " " };
        assert_stanzas(
            &out,
            &[&nick_refusal(
                &format!("lobby@conference.localhost/{shown}"),
                "bob@localhost/m",
                "jid-malformed",
                "modify",
                "A room nickname is required",
            )],
        );
    }
    // The Braille blank shows nothing; a Hangul filler is a character nicknames may not use.
    let out = h.join(
        "bob@localhost/m",
        "lobby@conference.localhost/&#x2800;&#x2800;",
    );
    assert_stanzas(
        &out,
        &[&nick_refusal(
            "lobby@conference.localhost/\u{2800}\u{2800}",
            "bob@localhost/m",
            "not-acceptable",
            "modify",
            "A nickname must hold at least one visible character",
        )],
    );
    let out = h.join("bob@localhost/m", "lobby@conference.localhost/&#x3164;");
    assert!(
        canonical(&out[0]).contains("}not-acceptable>"),
        "{}",
        canonical(&out[0])
    );
    // Zero-width characters only: resourceprep leaves nothing, so the address is no JID.
    for nick in ["&#x200B;", "&#x200D;&#xFEFF;"] {
        let out = h.join(
            "bob@localhost/m",
            &format!("lobby@conference.localhost/{nick}"),
        );
        assert_stanzas(
            &out,
            &[
                "<presence type='error' from='conference.localhost' to='bob@localhost/m'><priority>0</priority>\
                   <error type='modify' by='conference.localhost'><jid-malformed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
                   <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>The address this was sent to is not a valid JID: resource empty despite the presence of a /</text>\
                   </error></presence>",
            ],
        );
    }
}

/// Code points Unicode assigned after 3.2 (emoji, newer scripts) are a nickname's own (RFC
/// 7622 and 8266 allow them); a variation selector is mapped to nothing, as resourceprep does.
#[test]
fn nicks_with_emoji_join_and_are_told_apart() {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", "lobby@conference.localhost", "Alice");
    let out = h.join(
        "bob@localhost/m",
        "lobby@conference.localhost/Bob &#x1F3B2;",
    );
    assert!(
        out.iter().any(|s| {
            let c = canonical(s);
            c.contains("from='lobby@conference.localhost/Bob \u{1F3B2}' to='bob@localhost/m'")
                && c.contains("status code='110'")
        }),
        "{out:?}"
    );
    // Another emoji is another nickname; the same one with a variation selector is the same.
    let out = h.join(
        "carol@localhost/m",
        "lobby@conference.localhost/Bob &#x1F0CF;",
    );
    assert!(
        out.iter()
            .any(|s| canonical(s).contains("status code='110'")),
        "{out:?}"
    );
    let out = h.join(
        "dave@localhost/m",
        "lobby@conference.localhost/Bob &#x1F3B2;&#xFE0F;",
    );
    assert!(
        canonical(&out[0]).contains("}conflict>"),
        "{}",
        canonical(&out[0])
    );
}

#[test]
fn nicks_compare_after_normalisation_and_rooms_after_nodeprep() {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", "lobby@conference.localhost", "Alice");
    h.join("bob@localhost/m", "lobby@conference.localhost/Bob");
    // Case and a trailing zero-width space (dropped by resourceprep) make no new nickname.
    for nick in ["bob", "BOB", "Bob&#x200B;"] {
        let out = h.join(
            "carol@localhost/c",
            &format!("lobby@conference.localhost/{nick}"),
        );
        assert_eq!(out.len(), 1, "{nick}");
        assert!(
            canonical(&out[0]).contains("}conflict>"),
            "{nick}: {}",
            canonical(&out[0])
        );
    }
    // Spaces around a nickname are trimmed: the room says so with 210. The room's JID is
    // case-insensitive: Carol is in lobby with Alice and Bob.
    let out = h.join("carol@localhost/c", "LOBBY@conference.localhost/  Carol ");
    assert_stanzas(
        &out[4..5],
        &[
            "<presence from='lobby@conference.localhost/Carol' to='carol@localhost/c'><priority>0</priority>\
             <x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/><status code='210'/>\
             <item affiliation='none' role='participant'/></x></presence>",
        ],
    );
    assert!(canonical(&out[0]).contains("from='lobby@conference.localhost/Alice'"));
    // A private message to "carol" reaches Carol.
    let out = h.send("<message type='chat' id='p' from='bob@localhost/m' to='lobby@conference.localhost/carol'><body>hi</body></message>");
    assert!(
        canonical(&out[0]).contains("to='carol@localhost/c'"),
        "{}",
        canonical(&out[0])
    );
    // Changing one's own nick to another spelling of it is allowed; to another's, not.
    let out = h.send("<presence from='bob@localhost/m' to='lobby@conference.localhost/BOB'/>");
    assert!(
        canonical(&out[0]).contains("<{http://jabber.org/protocol/muc#user}status code='303'>"),
        "{}",
        canonical(&out[0])
    );
    let out =
        h.send("<presence id='n' from='bob@localhost/m' to='lobby@conference.localhost/carol'/>");
    assert_eq!(out.len(), 1);
    assert!(canonical(&out[0]).contains("}conflict>"));
    let out = h
        .send("<presence id='n' from='bob@localhost/m' to='lobby@conference.localhost/&#x2800;'/>");
    assert!(
        canonical(&out[0]).contains("}not-acceptable>"),
        "{}",
        canonical(&out[0])
    );
}
