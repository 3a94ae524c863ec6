//! §7.6 nick change, §7.7 status change, §7.14 exit, §11.1 presence errors.

use crate::testing::{Harness, assert_stanzas};

#[test]
fn nick_change_sends_303_then_the_new_presence() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out = h.send("<presence from='bob@localhost/m' to='lobby@conference.localhost/Robert'/>");
    assert_stanzas(
        &out,
        &[
            "<presence type='unavailable' from='lobby@conference.localhost/Bob' to='alice@localhost/pc'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <status code='303'/><item affiliation='none' role='participant' jid='bob@localhost/m' nick='Robert'/></x></presence>",
            "<presence type='unavailable' from='lobby@conference.localhost/Bob' to='bob@localhost/m'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <status code='110'/><status code='303'/><item affiliation='none' role='participant' nick='Robert'/></x></presence>",
            "<presence from='lobby@conference.localhost/Robert' to='alice@localhost/pc'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <item affiliation='none' role='participant' jid='bob@localhost/m'/></x></presence>",
            "<presence from='lobby@conference.localhost/Robert' to='bob@localhost/m'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <status code='110'/><item affiliation='none' role='participant'/></x></presence>",
        ],
    );
    // The old nick is free, the new one is taken.
    let out =
        h.send("<presence from='alice@localhost/pc' to='lobby@conference.localhost/Robert'/>");
    assert_eq!(out[0].attr("type"), Some("error"));
    assert_eq!(
        out[0].attr("from"),
        Some("lobby@conference.localhost/Robert")
    );
    assert!(crate::testing::canonical(&out[0]).contains("conflict"));
}

#[test]
fn status_change_is_broadcast() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out = h.send("<presence from='bob@localhost/m' to='lobby@conference.localhost/Bob'><show>away</show><status>brb</status></presence>");
    assert_stanzas(
        &out,
        &[
            "<presence from='lobby@conference.localhost/Bob' to='alice@localhost/pc'><show>away</show><status>brb</status><priority>0</priority>\
               <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant' jid='bob@localhost/m'/></x></presence>",
            "<presence from='lobby@conference.localhost/Bob' to='bob@localhost/m'><show>away</show><status>brb</status><priority>0</priority>\
               <x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/><item affiliation='none' role='participant'/></x></presence>",
        ],
    );
}

#[test]
fn leaving_tells_everyone_and_the_last_one_out_ends_a_temporary_room() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out = h.send("<presence type='unavailable' from='bob@localhost/m' to='lobby@conference.localhost/Bob'><status>bye</status></presence>");
    assert_stanzas(
        &out,
        &[
            "<presence type='unavailable' from='lobby@conference.localhost/Bob' to='alice@localhost/pc'><status>bye</status><priority>0</priority>\
               <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='none' jid='bob@localhost/m'/></x></presence>",
            "<presence type='unavailable' from='lobby@conference.localhost/Bob' to='bob@localhost/m'><status>bye</status><priority>0</priority>\
               <x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/><item affiliation='none' role='none'/></x></presence>",
        ],
    );
    h.send("<presence type='unavailable' from='alice@localhost/pc' to='lobby@conference.localhost/Alice'/>");
    // The room is gone: joining creates it anew (201).
    let out = h.join("bob@localhost/m", "lobby@conference.localhost/Bob");
    assert!(crate::testing::canonical(&out[0]).contains("code='201'"));
}

#[test]
fn a_presence_error_from_an_occupant_removes_it() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out = h.send("<presence type='error' from='bob@localhost/m' to='lobby@conference.localhost/Bob'><error type='cancel'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>");
    assert_stanzas(
        &out,
        &[
            "<presence type='unavailable' from='lobby@conference.localhost/Bob' to='alice@localhost/pc'><priority>0</priority>\
             <x xmlns='http://jabber.org/protocol/muc#user'><status code='333'/><item affiliation='none' role='none' jid='bob@localhost/m'/></x></presence>",
        ],
    );
}

fn configure(h: &mut Harness, fields: &str) {
    let out = h.send(&format!(
        "<iq type='set' id='cfg' from='alice@localhost/pc' to='lobby@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'>\
           <x xmlns='jabber:x:data' type='submit'>{fields}</x></query></iq>"
    ));
    assert_eq!(out[0].attr("type"), Some("result"));
}

#[test]
fn nick_changes_follow_the_room_policy() {
    let mut h = Harness::lobby_with_alice_and_bob();
    configure(
        &mut h,
        "<field var='palaver#roomconfig_changenick'><value>nobody</value></field>",
    );
    let out = h.send("<presence from='bob@localhost/m' to='lobby@conference.localhost/Robert'/>");
    assert_stanzas(
        &out,
        &[
            "<presence type='error' from='lobby@conference.localhost/Robert' to='bob@localhost/m'><priority>0</priority>\
             <error type='modify' by='conference.localhost'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
             <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>Nicknames cannot be changed in this room</text></error></presence>",
        ],
    );
    // "participants": visitors may not, participants may.
    configure(
        &mut h,
        "<field var='palaver#roomconfig_changenick'><value>participants</value></field>\
         <field var='muc#roomconfig_moderatedroom'><value>1</value></field>",
    );
    h.join("carol@localhost/c", "lobby@conference.localhost/Carol");
    let out =
        h.send("<presence from='carol@localhost/c' to='lobby@conference.localhost/Caroline'/>");
    assert!(crate::testing::canonical(&out[0]).contains("Visitors cannot change"));
    let out = h.send("<presence from='bob@localhost/m' to='lobby@conference.localhost/Robert'/>");
    assert!(crate::testing::canonical(&out[0]).contains("code='303'"));
}

#[test]
fn presence_broadcast_leaves_out_roles_not_listed() {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", "lobby@conference.localhost", "Alice");
    configure(
        &mut h,
        "<field var='muc#roomconfig_moderatedroom'><value>1</value></field>\
         <field var='muc#roomconfig_presencebroadcast'><value>moderator</value><value>participant</value></field>",
    );
    // Bob enters as a visitor: he sees Alice, but nobody is told about him but himself.
    let out = h.join("bob@localhost/m", "lobby@conference.localhost/Bob");
    assert_stanzas(
        &out,
        &[
            "<presence from='lobby@conference.localhost/Alice' to='bob@localhost/m'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/></x></presence>",
            "<presence from='lobby@conference.localhost/Bob' to='bob@localhost/m'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/><item affiliation='none' role='visitor'/></x></presence>",
            "<message type='groupchat' from='lobby@conference.localhost' to='bob@localhost/m'><subject/></message>",
        ],
    );
    // Given voice, he appears.
    let out = h.send("<iq type='set' id='v' from='alice@localhost/pc' to='lobby@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Bob' role='participant'/></query></iq>");
    assert_eq!(out.len(), 3);
    assert_eq!(out[0].attr("to"), Some("alice@localhost/pc"));
}

#[test]
fn shutdown_tells_every_occupant_with_332() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out: Vec<_> = h
        .engine
        .shutdown(h.now)
        .into_iter()
        .map(xmpp_parsers::minidom::Element::from)
        .collect();
    assert_stanzas(
        &out,
        &[
            "<presence type='unavailable' from='lobby@conference.localhost/Alice' to='alice@localhost/pc'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <status code='110'/><status code='332'/><item affiliation='owner' role='none' jid='alice@localhost/pc'/></x></presence>",
            "<presence type='unavailable' from='lobby@conference.localhost/Bob' to='bob@localhost/m'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <status code='110'/><status code='332'/><item affiliation='none' role='none'/></x></presence>",
        ],
    );
}
