//! §10.1–§10.2: the owner's configuration form.

use crate::testing::{Harness, assert_stanzas, canonical};

const ROOM: &str = "lobby@conference.localhost";

fn submit(h: &mut Harness, from: &str, fields: &str) -> Vec<xmpp_parsers::minidom::Element> {
    h.send(&format!(
        "<iq type='set' id='cfg' from='{from}' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#owner'>\
           <x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>{fields}</x></query></iq>"
    ))
}

#[test]
fn owner_gets_the_form_others_are_forbidden() {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", ROOM, "Alice");
    let out = h.send("<iq type='get' id='f' from='alice@localhost/pc' to='lobby@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'/></iq>");
    let form = canonical(&out[0]);
    for var in [
        "muc#roomconfig_roomname",
        "muc#roomconfig_roomdesc",
        "muc#roomconfig_persistentroom",
        "muc#roomconfig_publicroom",
        "muc#roomconfig_changesubject",
        "muc#roomconfig_maxusers",
        "muc#roomconfig_whois",
        "muc#roomconfig_historylength",
    ] {
        assert!(
            form.contains(&format!("var='{var}'")),
            "{var} missing: {form}"
        );
    }
    let out = h.send("<iq type='get' id='f2' from='bob@localhost/m' to='lobby@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'/></iq>");
    assert!(canonical(&out[0]).contains("forbidden"));
}

#[test]
fn a_valid_submission_applies_and_announces_104_and_172() {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", ROOM, "Alice");
    let out = submit(
        &mut h,
        "alice@localhost/pc",
        "<field var='muc#roomconfig_roomname'><value>The Lobby</value></field><field var='muc#roomconfig_whois'><value>anyone</value></field>",
    );
    assert_stanzas(
        &out,
        &[
            "<iq type='result' id='cfg' from='lobby@conference.localhost' to='alice@localhost/pc'/>",
            "<message type='groupchat' from='lobby@conference.localhost' to='alice@localhost/pc'>\
               <x xmlns='http://jabber.org/protocol/muc#user'><status code='104'/><status code='172'/></x></message>",
        ],
    );
    // Non-anonymous now: a joiner gets 100 and sees real JIDs.
    let out = h.join("bob@localhost/m", "lobby@conference.localhost/Bob");
    assert!(canonical(&out[0]).contains("jid='alice@localhost/pc'"));
    assert!(canonical(&out[2]).contains("code='100'"));
}

#[test]
fn an_invalid_value_changes_nothing() {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", ROOM, "Alice");
    let out = submit(
        &mut h,
        "alice@localhost/pc",
        "<field var='muc#roomconfig_roomname'><value>Renamed</value></field><field var='muc#roomconfig_historylength'><value>lots</value></field>",
    );
    assert_eq!(out[0].attr("type"), Some("error"));
    assert!(canonical(&out[0]).contains("not-acceptable"));
    let out = h.send("<iq type='get' id='i' from='bob@localhost/m' to='lobby@conference.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    assert!(canonical(&out[0]).contains("name='lobby'"));
    let out = submit(
        &mut h,
        "alice@localhost/pc",
        "<field var='muc#roomconfig_whois'><value>everybody</value></field>",
    );
    assert!(canonical(&out[0]).contains("not-acceptable"));
}

#[test]
fn cancelling_the_initial_form_destroys_the_room() {
    let mut h = Harness::new();
    h.join("alice@localhost/pc", "lobby@conference.localhost/Alice");
    let out = h.send("<iq type='set' id='x' from='alice@localhost/pc' to='lobby@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='cancel'/></query></iq>");
    assert_stanzas(
        &out,
        &[
            "<iq type='result' id='x' from='lobby@conference.localhost' to='alice@localhost/pc'/>",
            "<presence type='unavailable' from='lobby@conference.localhost/Alice' to='alice@localhost/pc'><priority>0</priority>\
               <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='none'/><destroy/></x></presence>",
        ],
    );
    let out = h.send("<iq type='get' id='i' from='alice@localhost/pc' to='lobby@conference.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    assert!(canonical(&out[0]).contains("item-not-found"));
}

#[test]
fn malformed_owner_queries_are_bad_requests() {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", ROOM, "Alice");
    let out = h.send("<iq type='set' id='b' from='alice@localhost/pc' to='lobby@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/><x xmlns='jabber:x:data' type='submit'/></query></iq>");
    assert!(canonical(&out[0]).contains("bad-request"));
    let out = h.send("<iq type='get' id='g' from='alice@localhost/pc' to='lobby@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>");
    assert!(canonical(&out[0]).contains("bad-request"));
}
