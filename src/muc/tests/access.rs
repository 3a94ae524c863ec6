//! §7.2.5 password, §7.2.6 members-only, §7.2.7 banned, §9.4's 322.

use crate::testing::{Harness, assert_stanzas, canonical};

const ROOM: &str = "lobby@conference.localhost";

fn configure(h: &mut Harness, fields: &str) -> Vec<xmpp_parsers::minidom::Element> {
    h.send(&format!(
        "<iq type='set' id='cfg' from='alice@localhost/pc' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#owner'>\
           <x xmlns='jabber:x:data' type='submit'>{fields}</x></query></iq>"
    ))
}

#[test]
fn password_protected_room_wants_the_password() {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", ROOM, "Alice");
    configure(
        &mut h,
        "<field var='muc#roomconfig_passwordprotectedroom'><value>1</value></field>\
         <field var='muc#roomconfig_roomsecret'><value>cauldronburn</value></field>",
    );
    let out = h.join("bob@localhost/m", "lobby@conference.localhost/Bob");
    assert_stanzas(
        &out,
        &[
            "<presence type='error' from='lobby@conference.localhost/Bob' to='bob@localhost/m'><priority>0</priority>\
             <x xmlns='http://jabber.org/protocol/muc'/>\
             <error type='auth' by='conference.localhost'><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
             <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>A correct password is required to enter this room</text></error></presence>",
        ],
    );
    let out = h.send("<presence from='bob@localhost/m' to='lobby@conference.localhost/Bob'><x xmlns='http://jabber.org/protocol/muc'><password>wrong</password></x></presence>");
    assert!(canonical(&out[0]).contains("}not-authorized>"));
    let out = h.send("<presence from='bob@localhost/m' to='lobby@conference.localhost/Bob'><x xmlns='http://jabber.org/protocol/muc'><password>cauldronburn</password></x></presence>");
    assert!(out.iter().any(|e| canonical(e).contains("code='110'")));
}

#[test]
fn members_only_room_refuses_strangers_and_admits_members() {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", ROOM, "Alice");
    configure(
        &mut h,
        "<field var='muc#roomconfig_membersonly'><value>1</value></field>",
    );
    let out = h.join("bob@localhost/m", "lobby@conference.localhost/Bob");
    assert_stanzas(
        &out,
        &[
            "<presence type='error' from='lobby@conference.localhost/Bob' to='bob@localhost/m'><priority>0</priority>\
             <x xmlns='http://jabber.org/protocol/muc'/>\
             <error type='auth' by='conference.localhost'><registration-required xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
             <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>This room is for members only</text></error></presence>",
        ],
    );
    h.send(&format!("<iq type='set' id='m' from='alice@localhost/pc' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='bob@localhost'/></query></iq>"));
    let out = h.join("bob@localhost/m", "lobby@conference.localhost/Bob");
    assert!(out.iter().any(|e| canonical(e).contains("code='110'")));
    // Losing membership in a members-only room means leaving it (321).
    let out = h.send(&format!("<iq type='set' id='n' from='alice@localhost/pc' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='none' jid='bob@localhost'/></query></iq>"));
    assert_stanzas(
        &out,
        &[
            "<presence type='unavailable' from='lobby@conference.localhost/Bob' to='bob@localhost/m'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <status code='110'/><status code='321'/><item affiliation='none' role='none'><actor nick='Alice'/></item></x></presence>",
            "<presence type='unavailable' from='lobby@conference.localhost/Bob' to='alice@localhost/pc'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <status code='321'/><item affiliation='none' role='none' jid='bob@localhost/m'><actor nick='Alice'/></item></x></presence>",
            "<iq type='result' id='n' from='lobby@conference.localhost' to='alice@localhost/pc'/>",
        ],
    );
}

#[test]
fn becoming_members_only_removes_non_members_with_322() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out = configure(
        &mut h,
        "<field var='muc#roomconfig_membersonly'><value>1</value></field>",
    );
    assert_stanzas(
        &out,
        &[
            "<iq type='result' id='cfg' from='lobby@conference.localhost' to='alice@localhost/pc'/>",
            "<message type='groupchat' from='lobby@conference.localhost' to='alice@localhost/pc'><x xmlns='http://jabber.org/protocol/muc#user'><status code='104'/></x></message>",
            "<message type='groupchat' from='lobby@conference.localhost' to='bob@localhost/m'><x xmlns='http://jabber.org/protocol/muc#user'><status code='104'/></x></message>",
            "<presence type='unavailable' from='lobby@conference.localhost/Bob' to='bob@localhost/m'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <status code='110'/><status code='322'/><item affiliation='none' role='none'/></x></presence>",
            "<presence type='unavailable' from='lobby@conference.localhost/Bob' to='alice@localhost/pc'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <status code='322'/><item affiliation='none' role='none' jid='bob@localhost/m'/></x></presence>",
        ],
    );
}

#[test]
fn a_full_room_still_admits_owners() {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", ROOM, "Alice");
    configure(
        &mut h,
        "<field var='muc#roomconfig_maxusers'><value>2</value></field>",
    );
    h.send(&format!("<iq type='set' id='a' from='alice@localhost/pc' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='owner' jid='carol@localhost'/></query></iq>"));
    h.join("bob@localhost/m", "lobby@conference.localhost/Bob");
    let out = h.join("dave@localhost/d", "lobby@conference.localhost/Dave");
    assert!(canonical(&out[0]).contains("}service-unavailable>"));
    let out = h.join("carol@localhost/c", "lobby@conference.localhost/Carol");
    assert!(out.iter().any(|e| canonical(e).contains("code='110'")));
}

#[test]
fn adding_a_member_to_a_members_only_room_invites_them() {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", ROOM, "Alice");
    configure(
        &mut h,
        "<field var='muc#roomconfig_membersonly'><value>1</value></field>",
    );
    let out = h.send(&format!("<iq type='set' id='m' from='alice@localhost/pc' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='bob@localhost'/></query></iq>"));
    assert_stanzas(
        &out,
        &[
            "<message from='lobby@conference.localhost' to='bob@localhost'><body>You are now a member of lobby@conference.localhost.</body>\
               <x xmlns='http://jabber.org/protocol/muc#user'><status code='101'/><item affiliation='member' role='none'/></x></message>",
            "<message from='lobby@conference.localhost' to='bob@localhost'><body>alice@localhost invites you to the room lobby@conference.localhost</body>\
               <x xmlns='http://jabber.org/protocol/muc#user'><invite from='alice@localhost/pc'/></x>\
               <x xmlns='jabber:x:conference' jid='lobby@conference.localhost'/></message>",
            "<iq type='result' id='m' from='lobby@conference.localhost' to='alice@localhost/pc'/>",
        ],
    );
}
