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

#[test]
fn destroy_tells_each_occupant_the_reason_and_the_alternate_venue() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let destroy = "<iq type='set' id='d' from='{FROM}' to='lobby@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'>\
                     <destroy jid='coven@conference.localhost'><reason>Macbeth doth come.</reason></destroy></query></iq>";
    let out = h.send(&destroy.replace("{FROM}", "bob@localhost/m"));
    assert!(canonical(&out[0]).contains("}forbidden>"));
    let out = h.send(&destroy.replace("{FROM}", "alice@localhost/pc"));
    assert_stanzas(
        &out,
        &[
            "<presence type='unavailable' from='lobby@conference.localhost/Alice' to='alice@localhost/pc'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <item affiliation='owner' role='none'/><destroy jid='coven@conference.localhost'><reason>Macbeth doth come.</reason></destroy></x></presence>",
            "<presence type='unavailable' from='lobby@conference.localhost/Bob' to='bob@localhost/m'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <item affiliation='none' role='none'/><destroy jid='coven@conference.localhost'><reason>Macbeth doth come.</reason></destroy></x></presence>",
            "<iq type='result' id='d' from='lobby@conference.localhost' to='alice@localhost/pc'/>",
        ],
    );
    // The room is gone: joining creates a new one.
    let out = h.join("bob@localhost/m", "lobby@conference.localhost/Bob");
    assert!(canonical(&out[0]).contains("code='201'"));
}

#[test]
fn owner_and_admin_lists_in_the_form() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out = h.send("<iq type='get' id='f' from='alice@localhost/pc' to='lobby@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'/></iq>");
    let form = canonical(&out[0]);
    assert!(
        form.contains(
            "var='muc#roomconfig_roomowners'><{jabber:x:data}value>alice@localhost</value>"
        ),
        "{form}"
    );
    // Making Bob an admin and co-owner through the form.
    let out = h.send("<iq type='set' id='s' from='alice@localhost/pc' to='lobby@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'>\
        <x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_roomadmins'><value>bob@localhost</value></field></x></query></iq>");
    assert!(
        canonical(&out[0]).contains("affiliation='admin' jid='bob@localhost/m' role='moderator'"),
        "{}",
        canonical(&out[0])
    );
    // Emptying the owner list would leave the room without an owner: refused, nothing changes.
    let out = h.send("<iq type='set' id='s2' from='alice@localhost/pc' to='lobby@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'>\
        <x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_roomowners'/><field var='muc#roomconfig_roomname'><value>X</value></field></x></query></iq>");
    assert_eq!(out.len(), 1);
    assert!(canonical(&out[0]).contains("}conflict>"));
    // A JID that does not parse is not acceptable.
    let out = h.send("<iq type='set' id='s3' from='alice@localhost/pc' to='lobby@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'>\
        <x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_roomadmins'><value>@@</value></field></x></query></iq>");
    assert!(canonical(&out[0]).contains("}not-acceptable>"));
}
