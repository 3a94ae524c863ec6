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
