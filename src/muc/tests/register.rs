//! §7.10 registration, §9.9 approval, §7.11 member list, §7.12 reserved nicknames.

use xmpp_parsers::minidom::Element;

use crate::testing::{Harness, assert_stanzas};

const ROOM: &str = "lobby@conference.localhost";

fn get_form(h: &mut Harness, from: &str) -> Vec<Element> {
    h.send(&format!(
        "<iq type='get' id='g' from='{from}' to='{ROOM}'><query xmlns='jabber:iq:register'/></iq>"
    ))
}

/// The submitted form with `fields` after FORM_TYPE.
fn form(fields: &str) -> String {
    format!(
        "<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>\
           <field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>{fields}</x></query>"
    )
}

fn register(h: &mut Harness, from: &str, nick: &str) -> Vec<Element> {
    let payload = form(&format!(
        "<field var='muc#register_roomnick'><value>{nick}</value></field>"
    ));
    h.send(&format!(
        "<iq type='set' id='r' from='{from}' to='{ROOM}'>{payload}</iq>"
    ))
}

fn result(id: &str, to: &str) -> String {
    format!("<iq type='result' id='{id}' from='{ROOM}' to='{to}'/>")
}

/// An IQ's error reply, echoing the request's payload.
fn iq_refused(
    id: &str,
    to: &str,
    payload: &str,
    error_type: &str,
    condition: &str,
    text: &str,
) -> String {
    format!(
        "<iq type='error' id='{id}' from='{ROOM}' to='{to}'>\
           <error type='{error_type}' by='conference.localhost'><{condition} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
           <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>{text}</text></error>{payload}</iq>"
    )
}

fn member_list(h: &mut Harness, from: &str) -> Vec<Element> {
    h.send(&format!(
        "<iq type='get' id='ml' from='{from}' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#admin'>\
           <item affiliation='member'/></query></iq>"
    ))
}

fn reserved_nick_of(h: &mut Harness, from: &str) -> Vec<Element> {
    h.send(&format!(
        "<iq type='get' id='n' from='{from}' to='{ROOM}'><query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'/></iq>"
    ))
}

/// The lobby, members-only, Alice its owner in the room and Carol an admin away from it.
fn members_only_lobby() -> Harness {
    let mut h = Harness::lobby_with_alice_and_bob();
    h.send(&format!(
        "<iq type='set' id='m' from='alice@localhost/pc' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#admin'>\
           <item affiliation='member' jid='bob@localhost'/><item affiliation='admin' jid='carol@localhost'/></query></iq>"
    ));
    h.send(&format!(
        "<iq type='set' id='cfg' from='alice@localhost/pc' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#owner'>\
           <x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_membersonly'><value>1</value></field></x></query></iq>"
    ));
    h
}

#[test]
fn the_form_offers_the_muc_register_fields_with_the_current_nick() {
    let mut h = Harness::lobby_with_alice_and_bob();
    assert_stanzas(
        &get_form(&mut h, "bob@localhost/m"),
        &[
            "<iq type='result' id='g' from='lobby@conference.localhost' to='bob@localhost/m'><query xmlns='jabber:iq:register'>\
             <instructions>Submit the form to register with this room.</instructions>\
             <x xmlns='jabber:x:data' type='form'><title>Registration with lobby@conference.localhost</title>\
               <instructions>Choose the nickname to reserve in this room; registering makes you a member.</instructions>\
               <field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#register</value></field>\
               <field var='muc#register_first' label='Given Name'/>\
               <field var='muc#register_last' label='Family Name'/>\
               <field var='muc#register_roomnick' label='Desired Nickname'><required/><value>Bob</value></field>\
               <field var='muc#register_url' label='Your URL'/>\
               <field var='muc#register_email' label='Email Address'/>\
               <field var='muc#register_faqentry' type='text-multi' label='FAQ Entry'/>\
             </x></query></iq>",
        ],
    );
}

#[test]
fn registering_in_an_open_room_makes_a_member_with_a_reserved_nick() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out = register(&mut h, "bob@localhost/m", "Robert");
    assert_stanzas(
        &out,
        &[
            &result("r", "bob@localhost/m"),
            "<presence from='lobby@conference.localhost/Bob' to='alice@localhost/pc'><priority>0</priority>\
               <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='participant' jid='bob@localhost/m'/></x></presence>",
            "<presence from='lobby@conference.localhost/Bob' to='bob@localhost/m'><priority>0</priority>\
               <x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/><item affiliation='member' role='participant'/></x></presence>",
        ],
    );
    // Registered: the room says so, with the nickname (§7.10).
    assert_stanzas(
        &get_form(&mut h, "bob@localhost/m"),
        &[
            "<iq type='result' id='g' from='lobby@conference.localhost' to='bob@localhost/m'>\
             <query xmlns='jabber:iq:register'><registered/><username>Robert</username></query></iq>",
        ],
    );
    // §7.12: the reserved nickname from any session of the user; an empty answer for others.
    assert_stanzas(
        &reserved_nick_of(&mut h, "bob@localhost/laptop"),
        &[
            "<iq type='result' id='n' from='lobby@conference.localhost' to='bob@localhost/laptop'>\
             <query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'>\
               <identity category='conference' type='text' name='Robert'/></query></iq>",
        ],
    );
    assert_stanzas(
        &reserved_nick_of(&mut h, "carol@localhost/c"),
        &[
            "<iq type='result' id='n' from='lobby@conference.localhost' to='carol@localhost/c'>\
             <query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'/></iq>",
        ],
    );
    // §7.11/§9.5: the member list carries the reserved nickname.
    assert_stanzas(
        &member_list(&mut h, "alice@localhost/pc"),
        &[
            "<iq type='result' id='ml' from='lobby@conference.localhost' to='alice@localhost/pc'>\
             <query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='bob@localhost' nick='Robert'/></query></iq>",
        ],
    );
    // Registering again changes the nickname; no second membership announcement.
    assert_stanzas(
        &register(&mut h, "bob@localhost/m", "Bobby"),
        &[&result("r", "bob@localhost/m")],
    );
    assert!(
        crate::testing::canonical(&reserved_nick_of(&mut h, "bob@localhost/m")[0])
            .contains("name='Bobby'")
    );
}

#[test]
fn occupants_read_the_member_list_when_getmemberlist_allows() {
    let mut h = Harness::lobby_with_alice_and_bob();
    register(&mut h, "bob@localhost/m", "Robert");
    // By default only moderators (and admins and owners) may.
    assert_stanzas(
        &member_list(&mut h, "bob@localhost/m"),
        &[&iq_refused(
            "ml",
            "bob@localhost/m",
            "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member'/></query>",
            "auth",
            "forbidden",
            "You are not allowed to retrieve this list",
        )],
    );
    h.send(&format!(
        "<iq type='set' id='cfg' from='alice@localhost/pc' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#owner'>\
           <x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_getmemberlist'><value>moderator</value><value>participant</value></field></x></query></iq>"
    ));
    assert_stanzas(
        &member_list(&mut h, "bob@localhost/m"),
        &[
            "<iq type='result' id='ml' from='lobby@conference.localhost' to='bob@localhost/m'>\
             <query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='bob@localhost' nick='Robert'/></query></iq>",
        ],
    );
}

#[test]
fn a_reserved_nick_is_refused_to_others_on_entry_and_nick_change() {
    let mut h = Harness::lobby_with_alice_and_bob();
    register(&mut h, "bob@localhost/m", "Robert");
    let out = h.join("carol@localhost/c", "lobby@conference.localhost/Robert");
    assert_stanzas(
        &out,
        &[
            "<presence type='error' from='lobby@conference.localhost/Robert' to='carol@localhost/c'><priority>0</priority>\
             <x xmlns='http://jabber.org/protocol/muc'/>\
             <error type='cancel' by='conference.localhost'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
             <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>That nickname is reserved by another user</text></error></presence>",
        ],
    );
    h.join("carol@localhost/c", "lobby@conference.localhost/Carol");
    let out = h.send("<presence from='carol@localhost/c' to='lobby@conference.localhost/Robert'/>");
    assert_stanzas(
        &out,
        &[
            "<presence type='error' from='lobby@conference.localhost/Robert' to='carol@localhost/c'><priority>0</priority>\
             <error type='cancel' by='conference.localhost'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
             <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>That nickname is reserved by another user</text></error></presence>",
        ],
    );
    // The holder may take it, and enter with it from another session.
    let out = h.send("<presence from='bob@localhost/m' to='lobby@conference.localhost/Robert'/>");
    assert!(
        crate::testing::canonical(&out[0]).contains("code='303'"),
        "{out:?}"
    );
    h.send("<presence type='unavailable' from='bob@localhost/m' to='lobby@conference.localhost/Robert'/>");
    let out = h.join("bob@localhost/laptop", "lobby@conference.localhost/Robert");
    assert!(
        out.iter().all(|p| p.attr("type") != Some("error")),
        "{out:?}"
    );
}

#[test]
fn registration_refusals() {
    let mut h = Harness::lobby_with_alice_and_bob();
    register(&mut h, "bob@localhost/m", "Robert");
    let nick = |n: &str| {
        form(&format!(
            "<field var='muc#register_roomnick'><value>{n}</value></field>"
        ))
    };
    let cases: Vec<(String, &str, &str, &str)> = vec![
        (nick("Robert"), "cancel", "conflict", "That nickname is reserved by another user"),
        (
            "<query xmlns='jabber:iq:register'/>".into(),
            "modify",
            "bad-request",
            "Registration needs the muc#register form",
        ),
        (
            "<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>\
               <field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field></x></query>"
                .into(),
            "modify",
            "bad-request",
            "This is not a muc#register form",
        ),
        (nick(" "), "modify", "bad-request", "The form needs one muc#register_roomnick"),
        (form(""), "modify", "bad-request", "The form needs one muc#register_roomnick"),
        (
            nick(&"n".repeat(1100)),
            "modify",
            "not-acceptable",
            "A nickname may be at most 100 characters long.",
        ),
    ];
    for (payload, error_type, condition, text) in cases {
        let out = h.send(&format!(
            "<iq type='set' id='x' from='carol@localhost/c' to='{ROOM}'>{payload}</iq>"
        ));
        assert_stanzas(
            &out,
            &[&iq_refused(
                "x",
                "carol@localhost/c",
                &payload,
                error_type,
                condition,
                text,
            )],
        );
    }
    let out = h.send(
        "<iq type='get' id='x' from='carol@localhost/c' to='nowhere@conference.localhost'><query xmlns='jabber:iq:register'/></iq>",
    );
    assert_stanzas(
        &out,
        &[&iq_refused(
            "x",
            "carol@localhost/c",
            "<query xmlns='jabber:iq:register'/>",
            "cancel",
            "item-not-found",
            "This room does not exist",
        )
        .replace(
            &format!("from='{ROOM}'"),
            "from='nowhere@conference.localhost'",
        )],
    );
    // Outcasts may neither get the form (§7.10: not-allowed) nor register.
    h.send(&format!(
        "<iq type='set' id='ban' from='alice@localhost/pc' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#admin'>\
           <item affiliation='outcast' jid='eve@localhost'/></query></iq>"
    ));
    assert_stanzas(
        &get_form(&mut h, "eve@localhost/e"),
        &[&iq_refused(
            "g",
            "eve@localhost/e",
            "<query xmlns='jabber:iq:register'/>",
            "cancel",
            "not-allowed",
            "You are banned from this room",
        )],
    );
    let payload = nick("Eve");
    let out = h.send(&format!(
        "<iq type='set' id='x' from='eve@localhost/e' to='{ROOM}'>{payload}</iq>"
    ));
    assert_stanzas(
        &out,
        &[&iq_refused(
            "x",
            "eve@localhost/e",
            &payload,
            "auth",
            "forbidden",
            "You are banned from this room",
        )],
    );
}

#[test]
fn members_only_registration_waits_for_an_admins_approval() {
    let mut h = members_only_lobby();
    let payload = form(
        "<field var='muc#register_first'><value>Dave</value></field>\
         <field var='muc#register_roomnick'><value>Dave</value></field>",
    );
    let out = h.send(&format!(
        "<iq type='set' id='r' from='dave@localhost/d' to='{ROOM}'>{payload}</iq>"
    ));
    let approval = |to: &str| {
        format!(
            "<message from='{ROOM}' to='{to}'>\
               <body>dave@localhost asks to register with {ROOM} as “Dave”. Submit the form to approve.</body>\
               <x xmlns='jabber:x:data' type='form'><title>Registration request</title>\
                 <instructions>To approve this registration request, select the \"Allow this person to register with the room?\" checkbox and click OK. To skip this request, click the cancel button.</instructions>\
                 <field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#register</value></field>\
                 <field var='x-palaver#jid' type='jid-single' label='User ID'><value>dave@localhost</value></field>\
                 <field var='muc#register_first' label='Given Name'><value>Dave</value></field>\
                 <field var='muc#register_roomnick' label='Desired Nickname'><value>Dave</value></field>\
                 <field var='muc#register_allow' type='boolean' label='Allow this person to register with the room?'><value>0</value></field>\
               </x></message>"
        )
    };
    // The owner in the room gets it at her session, the absent admin at his bare JID.
    assert_stanzas(
        &out,
        &[
            &result("r", "dave@localhost/d"),
            &approval("alice@localhost/pc"),
            &approval("carol@localhost"),
        ],
    );
    // Not a member yet: entry is still refused.
    let out = h.join("dave@localhost/d", "lobby@conference.localhost/Dave");
    assert!(crate::testing::canonical(&out[0]).contains("registration-required"));
    let decision = |allow: &str| {
        format!(
            "<x xmlns='jabber:x:data' type='submit'>\
               <field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>\
               <field var='x-palaver#jid'><value>dave@localhost</value></field>\
               <field var='muc#register_allow'><value>{allow}</value></field></x>"
        )
    };
    let out = h.send(&format!(
        "<message id='a0' from='bob@localhost/m' to='{ROOM}'>{}</message>",
        decision("1")
    ));
    assert_stanzas(
        &out,
        &[&format!(
            "<message type='error' id='a0' from='{ROOM}' to='bob@localhost/m'>{}\
               <error type='auth' by='conference.localhost'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
               <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>Only admins and owners may approve registrations</text></error></message>",
            decision("1")
        )],
    );
    // The owner approves: Dave is told he is a member (§17.1's 101) and may enter.
    let out = h.send(&format!(
        "<message id='a1' from='alice@localhost/pc' to='{ROOM}'>{}</message>",
        decision("1")
    ));
    assert_stanzas(
        &out,
        &[&format!(
            "<message from='{ROOM}' to='dave@localhost'><body>You are now a member of {ROOM}.</body>\
               <x xmlns='http://jabber.org/protocol/muc#user'><status code='101'/><item affiliation='member' role='none'/></x></message>"
        )],
    );
    assert!(
        crate::testing::canonical(&reserved_nick_of(&mut h, "dave@localhost/d")[0])
            .contains("name='Dave'")
    );
    let out = h.join("dave@localhost/d", "lobby@conference.localhost/Dave");
    assert!(
        out.iter().all(|p| p.attr("type") != Some("error")),
        "{out:?}"
    );
    // Nothing waits any more.
    let out = h.send(&format!(
        "<message id='a2' from='alice@localhost/pc' to='{ROOM}'>{}</message>",
        decision("1")
    ));
    assert!(crate::testing::canonical(&out[0]).contains("item-not-found"));
}

#[test]
fn a_denied_registration_is_dropped() {
    let mut h = members_only_lobby();
    register(&mut h, "erin@localhost/e", "Erin");
    // Approvers may name the request by nickname when their client drops unknown fields.
    let out = h.send(&format!(
        "<message id='d' from='carol@localhost/x' to='{ROOM}'><x xmlns='jabber:x:data' type='submit'>\
           <field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>\
           <field var='muc#register_roomnick'><value>Erin</value></field>\
           <field var='muc#register_allow'><value>0</value></field></x></message>"
    ));
    assert!(out.is_empty(), "{out:?}");
    // Skipping with the form's cancel button is taken silently.
    let out = h.send(&format!(
        "<message id='c' from='alice@localhost/pc' to='{ROOM}'><x xmlns='jabber:x:data' type='cancel'/></message>"
    ));
    assert!(out.is_empty(), "{out:?}");
    assert_stanzas(
        &member_list(&mut h, "alice@localhost/pc"),
        &[
            "<iq type='result' id='ml' from='lobby@conference.localhost' to='alice@localhost/pc'>\
             <query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='bob@localhost'/></query></iq>",
        ],
    );
    // Withdrawing works while a request waits, and only then.
    register(&mut h, "erin@localhost/e", "Erin");
    let remove = "<query xmlns='jabber:iq:register'><remove/></query>";
    let out = h.send(&format!(
        "<iq type='set' id='u' from='erin@localhost/e' to='{ROOM}'>{remove}</iq>"
    ));
    assert_stanzas(&out, &[&result("u", "erin@localhost/e")]);
    let out = h.send(&format!(
        "<iq type='set' id='u' from='erin@localhost/e' to='{ROOM}'>{remove}</iq>"
    ));
    assert_stanzas(
        &out,
        &[&iq_refused(
            "u",
            "erin@localhost/e",
            remove,
            "cancel",
            "item-not-found",
            "You are not registered with this room",
        )],
    );
}

#[test]
fn cancelling_a_registration_frees_the_nick_and_the_membership() {
    let mut h = Harness::lobby_with_alice_and_bob();
    register(&mut h, "bob@localhost/m", "Robert");
    let remove = "<query xmlns='jabber:iq:register'><remove/></query>";
    let out = h.send(&format!(
        "<iq type='set' id='u' from='bob@localhost/m' to='{ROOM}'>{remove}</iq>"
    ));
    assert_stanzas(
        &out,
        &[
            &result("u", "bob@localhost/m"),
            "<presence from='lobby@conference.localhost/Bob' to='alice@localhost/pc'><priority>0</priority>\
               <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant' jid='bob@localhost/m'/></x></presence>",
            "<presence from='lobby@conference.localhost/Bob' to='bob@localhost/m'><priority>0</priority>\
               <x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/><item affiliation='none' role='participant'/></x></presence>",
        ],
    );
    let out = h.join("carol@localhost/c", "lobby@conference.localhost/Robert");
    assert!(
        out.iter().all(|p| p.attr("type") != Some("error")),
        "{out:?}"
    );
    // An owner keeps ownership and only frees the nickname.
    register(&mut h, "alice@localhost/pc", "Queen");
    let out = h.send(&format!(
        "<iq type='set' id='u' from='alice@localhost/pc' to='{ROOM}'>{remove}</iq>"
    ));
    assert_stanzas(&out, &[&result("u", "alice@localhost/pc")]);
    assert_stanzas(
        &reserved_nick_of(&mut h, "alice@localhost/pc"),
        &[
            "<iq type='result' id='n' from='lobby@conference.localhost' to='alice@localhost/pc'>\
             <query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'/></iq>",
        ],
    );
    let owners = h.send(&format!(
        "<iq type='get' id='o' from='alice@localhost/pc' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='owner'/></query></iq>"
    ));
    assert!(crate::testing::canonical(&owners[0]).contains("jid='alice@localhost'"));
}
