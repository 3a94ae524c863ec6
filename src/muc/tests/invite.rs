//! §7.8.2 mediated invitations and declines, §9.3 invitations to members-only rooms.

use xmpp_parsers::minidom::Element;

use crate::testing::{Harness, assert_stanzas};

const ROOM: &str = "lobby@conference.localhost";

/// Submits a room configuration as Alice (the lobby's owner); what it announces is not the
/// point of these tests.
fn configure(h: &mut Harness, fields: &str) {
    h.send(&format!(
        "<iq type='set' id='cfg' from='alice@localhost/pc' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#owner'>\
           <x xmlns='jabber:x:data' type='submit'>{fields}</x></query></iq>"
    ));
}

/// The lobby, members-only, with Bob a member.
fn members_only_lobby(allow_invites: bool) -> Harness {
    let mut h = Harness::lobby_with_alice_and_bob();
    h.send(&format!(
        "<iq type='set' id='m' from='alice@localhost/pc' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#admin'>\
           <item affiliation='member' jid='bob@localhost'/></query></iq>"
    ));
    let allow = if allow_invites { 1 } else { 0 };
    configure(
        &mut h,
        &format!(
            "<field var='muc#roomconfig_membersonly'><value>1</value></field>\
             <field var='muc#roomconfig_allowinvites'><value>{allow}</value></field>"
        ),
    );
    h
}

fn member_list(h: &mut Harness) -> Vec<Element> {
    h.send(&format!(
        "<iq type='get' id='ml' from='alice@localhost/pc' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#admin'>\
           <item affiliation='member'/></query></iq>"
    ))
}

/// §17.1's notice to a user who became a member while away.
fn member_notice(to: &str) -> String {
    format!(
        "<message from='{ROOM}' to='{to}'><body>You are now a member of {ROOM}.</body>\
           <x xmlns='http://jabber.org/protocol/muc#user'><status code='101'/><item affiliation='member' role='none'/></x></message>"
    )
}

/// The error a message gets back: the message echoed from the room, with the error.
fn refused(
    id: &str,
    from: &str,
    payload: &str,
    error_type: &str,
    condition: &str,
    text: &str,
) -> String {
    format!(
        "<message type='error' id='{id}' from='{ROOM}' to='{from}'>{payload}\
           <error type='{error_type}' by='conference.localhost'><{condition} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
           <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>{text}</text></error></message>"
    )
}

#[test]
fn an_invitation_carries_muc_user_the_conference_payload_and_a_body() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out = h.send(
        "<message id='i1' from='bob@localhost/m' to='lobby@conference.localhost'>\
           <x xmlns='http://jabber.org/protocol/muc#user'><invite to='carol@localhost'><reason>Chess tonight?</reason></invite></x></message>",
    );
    assert_stanzas(
        &out,
        &[
            "<message id='i1' from='lobby@conference.localhost' to='carol@localhost'>\
             <body>bob@localhost invites you to the room lobby@conference.localhost: Chess tonight?</body>\
             <x xmlns='http://jabber.org/protocol/muc#user'><invite from='bob@localhost/m'><reason>Chess tonight?</reason></invite></x>\
             <x xmlns='jabber:x:conference' jid='lobby@conference.localhost' reason='Chess tonight?'/></message>",
        ],
    );
    // §9.3: an invitation through an open room does not make a member.
    assert_stanzas(
        &member_list(&mut h),
        &[
            "<iq type='result' id='ml' from='lobby@conference.localhost' to='alice@localhost/pc'>\
             <query xmlns='http://jabber.org/protocol/muc#admin'/></iq>",
        ],
    );
}

#[test]
fn several_invitations_carry_the_password_and_the_continued_thread() {
    let mut h = Harness::lobby_with_alice_and_bob();
    configure(
        &mut h,
        "<field var='muc#roomconfig_passwordprotectedroom'><value>1</value></field>\
         <field var='muc#roomconfig_roomsecret'><value>cauldron</value></field>",
    );
    // The second invitee is named by an occupant JID: the invitation goes to that occupant.
    // A body for clients without invitations does not make it a game command.
    let out = h.send(
        "<message id='i2' from='alice@localhost/pc' to='lobby@conference.localhost'><body>Join us</body><x xmlns='http://jabber.org/protocol/muc#user'>\
           <invite to='carol@localhost/phone'><continue thread='t1'/></invite>\
           <invite to='lobby@conference.localhost/Bob'/></x></message>",
    );
    assert_stanzas(
        &out,
        &[
            "<message id='i2' from='lobby@conference.localhost' to='carol@localhost/phone'>\
               <body>alice@localhost invites you to the room lobby@conference.localhost (password: cauldron)</body>\
               <x xmlns='http://jabber.org/protocol/muc#user'><invite from='alice@localhost/pc'><continue thread='t1'/></invite>\
                 <password>cauldron</password></x>\
               <x xmlns='jabber:x:conference' jid='lobby@conference.localhost' password='cauldron' continue='true' thread='t1'/></message>",
            "<message id='i2' from='lobby@conference.localhost' to='bob@localhost/m'>\
               <body>alice@localhost invites you to the room lobby@conference.localhost (password: cauldron)</body>\
               <x xmlns='http://jabber.org/protocol/muc#user'><invite from='alice@localhost/pc'/><password>cauldron</password></x>\
               <x xmlns='jabber:x:conference' jid='lobby@conference.localhost' password='cauldron'/></message>",
        ],
    );
}

#[test]
fn invitations_from_outside_or_to_nowhere_are_refused() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let invite =
        "<x xmlns='http://jabber.org/protocol/muc#user'><invite to='carol@localhost'/></x>";
    let out = h.send(&format!(
        "<message id='n1' from='eve@localhost/e' to='{ROOM}'>{invite}</message>"
    ));
    assert_stanzas(
        &out,
        &[&refused(
            "n1",
            "eve@localhost/e",
            invite,
            "modify",
            "not-acceptable",
            "Only occupants may invite others to the room",
        )],
    );
    let out = h.send(&format!(
        "<message id='n2' from='bob@localhost/m' to='nowhere@conference.localhost'>{invite}</message>"
    ));
    assert_stanzas(
        &out,
        &[&refused(
            "n2",
            "bob@localhost/m",
            invite,
            "cancel",
            "item-not-found",
            "This room does not exist",
        )
        .replace(
            &format!("from='{ROOM}'"),
            "from='nowhere@conference.localhost'",
        )],
    );
    // An address of this service that is no occupant; nothing goes out for the valid one either.
    let to_nobody = "<x xmlns='http://jabber.org/protocol/muc#user'><invite to='carol@localhost'/>\
                     <invite to='lobby@conference.localhost/Nobody'/></x>";
    let out = h.send(&format!(
        "<message id='n3' from='bob@localhost/m' to='{ROOM}'>{to_nobody}</message>"
    ));
    assert_stanzas(
        &out,
        &[&refused(
            "n3",
            "bob@localhost/m",
            to_nobody,
            "cancel",
            "item-not-found",
            "There is nobody at the invitee's address",
        )],
    );
}

#[test]
fn malformed_invitations_are_bad_requests_and_bad_addresses_jid_malformed() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let cases = [
        (
            "<x xmlns='http://jabber.org/protocol/muc#user'><invite><reason>hi</reason></invite></x>",
            "modify",
            "bad-request",
            "An invitation needs a 'to' address",
        ),
        (
            "<x xmlns='http://jabber.org/protocol/muc#user'><invite to='@localhost'/></x>",
            "modify",
            "jid-malformed",
            "The invitee's address is not a valid JID",
        ),
        (
            "<x xmlns='http://jabber.org/protocol/muc#user'><invite to='carol@localhost'/><decline to='alice@localhost'/></x>",
            "modify",
            "bad-request",
            "A message may not both invite and decline",
        ),
        (
            "<x xmlns='http://jabber.org/protocol/muc#user'><invite to='carol@localhost'><reason>a</reason><reason>b</reason></invite></x>",
            "modify",
            "bad-request",
            "At most one &lt;reason/&gt; is allowed",
        ),
        (
            "<x xmlns='http://jabber.org/protocol/muc#user'><decline to='alice@localhost'/><decline to='bob@localhost'/></x>",
            "modify",
            "bad-request",
            "A message declines one invitation at most",
        ),
    ];
    let many = format!(
        "<x xmlns='http://jabber.org/protocol/muc#user'>{}</x>",
        "<invite to='carol@localhost'/>".repeat(17)
    );
    let cases = cases
        .into_iter()
        .map(|(p, t, c, x)| (p.to_owned(), t, c, x))
        .chain([(
            many,
            "modify",
            "not-acceptable",
            "Too many invitations in one message",
        )]);
    for (payload, error_type, condition, text) in cases {
        let out = h.send(&format!(
            "<message id='b' from='bob@localhost/m' to='{ROOM}'>{payload}</message>"
        ));
        assert_stanzas(
            &out,
            &[&refused(
                "b",
                "bob@localhost/m",
                &payload,
                error_type,
                condition,
                text,
            )],
        );
    }
}

#[test]
fn members_only_rooms_take_invitations_from_admins_and_owners_only() {
    let mut h = members_only_lobby(false);
    let invite =
        "<x xmlns='http://jabber.org/protocol/muc#user'><invite to='carol@localhost'/></x>";
    let out = h.send(&format!(
        "<message id='f' from='bob@localhost/m' to='{ROOM}'>{invite}</message>"
    ));
    assert_stanzas(
        &out,
        &[&refused(
            "f",
            "bob@localhost/m",
            invite,
            "auth",
            "forbidden",
            "Only admins and owners may invite others to this members-only room",
        )],
    );
    // The owner's invitation makes Carol a member (told by §17.1's 101), so she may enter.
    let out = h.send(&format!(
        "<message id='o' from='alice@localhost/pc' to='{ROOM}'>{invite}</message>"
    ));
    assert_stanzas(
        &out,
        &[
            &member_notice("carol@localhost"),
            "<message id='o' from='lobby@conference.localhost' to='carol@localhost'>\
             <body>alice@localhost invites you to the room lobby@conference.localhost</body>\
             <x xmlns='http://jabber.org/protocol/muc#user'><invite from='alice@localhost/pc'/></x>\
             <x xmlns='jabber:x:conference' jid='lobby@conference.localhost'/></message>",
        ],
    );
    assert_stanzas(
        &member_list(&mut h),
        &[
            "<iq type='result' id='ml' from='lobby@conference.localhost' to='alice@localhost/pc'>\
             <query xmlns='http://jabber.org/protocol/muc#admin'>\
               <item affiliation='member' jid='bob@localhost'/><item affiliation='member' jid='carol@localhost'/>\
             </query></iq>",
        ],
    );
    let out = h.join("carol@localhost/c", "lobby@conference.localhost/Carol");
    assert!(
        crate::testing::canonical(&out[2]).contains("affiliation='member'"),
        "{:?}",
        out
    );
}

#[test]
fn allowinvites_lets_members_invite_into_a_members_only_room() {
    let mut h = members_only_lobby(true);
    let out = h.send(&format!(
        "<message id='a' from='bob@localhost/m' to='{ROOM}'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='dave@localhost'/></x></message>"
    ));
    assert_stanzas(
        &out,
        &[
            &member_notice("dave@localhost"),
            "<message id='a' from='lobby@conference.localhost' to='dave@localhost'>\
             <body>bob@localhost invites you to the room lobby@conference.localhost</body>\
             <x xmlns='http://jabber.org/protocol/muc#user'><invite from='bob@localhost/m'/></x>\
             <x xmlns='jabber:x:conference' jid='lobby@conference.localhost'/></message>",
        ],
    );
    assert_stanzas(
        &member_list(&mut h),
        &[
            "<iq type='result' id='ml' from='lobby@conference.localhost' to='alice@localhost/pc'>\
             <query xmlns='http://jabber.org/protocol/muc#admin'>\
               <item affiliation='member' jid='bob@localhost'/><item affiliation='member' jid='dave@localhost'/>\
             </query></iq>",
        ],
    );
}

#[test]
fn a_decline_reaches_the_inviter_once() {
    let mut h = Harness::lobby_with_alice_and_bob();
    h.send(&format!(
        "<message id='i' from='bob@localhost/m' to='{ROOM}'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='carol@localhost'/></x></message>"
    ));
    let decline = "<x xmlns='http://jabber.org/protocol/muc#user'><decline to='bob@localhost'><reason>Busy</reason></decline></x>";
    // Someone who was not invited cannot send a decline through the room.
    let out = h.send(&format!(
        "<message id='d0' from='eve@localhost/e' to='{ROOM}'>{decline}</message>"
    ));
    assert_stanzas(
        &out,
        &[&refused(
            "d0",
            "eve@localhost/e",
            decline,
            "cancel",
            "item-not-found",
            "You have no pending invitation from that user",
        )],
    );
    // The invitee names the inviter by bare JID; the room answers the JID that invited.
    let out = h.send(&format!(
        "<message id='d1' from='carol@localhost/c' to='{ROOM}'>{decline}</message>"
    ));
    assert_stanzas(
        &out,
        &[
            "<message id='d1' from='lobby@conference.localhost' to='bob@localhost/m'>\
             <body>carol@localhost declined your invitation to the room lobby@conference.localhost: Busy</body>\
             <x xmlns='http://jabber.org/protocol/muc#user'><decline from='carol@localhost'><reason>Busy</reason></decline></x></message>",
        ],
    );
    let out = h.send(&format!(
        "<message id='d2' from='carol@localhost/c' to='{ROOM}'>{decline}</message>"
    ));
    assert_stanzas(
        &out,
        &[&refused(
            "d2",
            "carol@localhost/c",
            decline,
            "cancel",
            "item-not-found",
            "You have no pending invitation from that user",
        )],
    );
}

#[test]
fn only_normal_messages_to_the_room_are_invitations() {
    let mut h = Harness::lobby_with_alice_and_bob();
    // A groupchat message that happens to carry an invite is groupchat: reflected, not sent on.
    let out = h.send(&format!(
        "<message type='groupchat' id='g' from='bob@localhost/m' to='{ROOM}'><body>hi</body>\
           <x xmlns='http://jabber.org/protocol/muc#user'><invite to='carol@localhost'/></x></message>"
    ));
    assert_eq!(out.len(), 2);
    assert!(out.iter().all(|m| m.attr("type") == Some("groupchat")));
}
