//! Room control end to end (XEP-0045 §7.2.5–§7.2.7, §8, §9, §10.9): real Prosody, the palaver
//! binary, real c2s clients.

mod support;

use support::*;
use xmpp_parsers::message::MessageType;
use xmpp_parsers::minidom::Element;
use xmpp_parsers::presence::Type as PresenceType;
use xmpp_parsers::stanza::Stanza;

const ROOM: &str = "lobby@conference.localhost";
const ALICE: &str = "lobby@conference.localhost/Alice";
const BOB: &str = "lobby@conference.localhost/Bob";
const MUC: &str = "http://jabber.org/protocol/muc";
const ADMIN: &str = "http://jabber.org/protocol/muc#admin";
const OWNER: &str = "http://jabber.org/protocol/muc#owner";

/// Whether the stanza is an error carrying `condition`.
fn error_is(s: &Stanza, condition: &str) -> bool {
    let e = Element::from(s);
    e.attr("type") == Some("error")
        && e.children()
            .filter(|c| c.name() == "error")
            .any(|err| err.children().any(|c| c.name() == condition))
}

async fn join(client: &mut Client, occupant: &str, extra: &str) {
    client
        .send_xml(&format!(
            "<presence to='{occupant}'><x xmlns='{MUC}'>{extra}</x></presence>"
        ))
        .await;
}

async fn joined(client: &mut Client, occupant: &str) -> Stanza {
    client
        .expect("own presence with 110", WAIT, |s| {
            presence_with(s, occupant, &["110"])
                && presence(s).is_some_and(|p| p.type_ == PresenceType::None)
        })
        .await
}

async fn refused(client: &mut Client, occupant: &str, condition: &str) {
    let what = format!("a presence error {condition}");
    let s = client
        .expect(&what, WAIT, |s| {
            from_is(s, occupant) && presence(s).is_some()
        })
        .await;
    assert!(error_is(&s, condition), "expected {condition}: {s:?}");
}

/// Sends an IQ to the room and waits for its reply.
async fn iq(client: &mut Client, id: &str, kind: &str, ns: &str, inner: &str) -> Stanza {
    client
        .send_xml(&format!(
            "<iq type='{kind}' to='{ROOM}' id='{id}'><query xmlns='{ns}'>{inner}</query></iq>"
        ))
        .await;
    client
        .expect("the IQ reply", WAIT, |s| iq_reply(s, id))
        .await
}

async fn configure(alice: &mut Client, id: &str, fields: &str) {
    let s = iq(
        alice,
        id,
        "set",
        OWNER,
        &format!("<x xmlns='jabber:x:data' type='submit'>{fields}</x>"),
    )
    .await;
    result_payload(&s);
}

/// Alice creates `lobby` (instant) with `fields` configured, before anyone else arrives.
async fn room_with(env: &Env, fields: &str) -> Client {
    let mut alice = env.client("alice").await;
    join(&mut alice, ALICE, "").await;
    joined(&mut alice, ALICE).await;
    configure(&mut alice, "create", fields).await;
    alice
}

e2e! {
async fn kick_removes_the_occupant_with_307_and_the_reason(kind: Kind) {
    let env = Env::start(kind).await;
    let mut alice = room_with(&env, "").await;
    let mut bob = env.client("bob").await;
    join(&mut bob, BOB, "").await;
    joined(&mut bob, BOB).await;
    let s = iq(
        &mut alice,
        "kick",
        "set",
        ADMIN,
        "<item nick='Bob' role='none'><reason>Avaunt</reason></item>",
    )
    .await;
    result_payload(&s);
    let s = bob
        .expect("own unavailable with 307", WAIT, |s| {
            presence_with(s, BOB, &["110", "307"])
        })
        .await;
    let p = presence(&s).expect("a presence");
    assert_eq!(p.type_, PresenceType::Unavailable);
    let item = muc_item(p).expect("an item");
    assert_eq!(
        item.get_child("reason", "http://jabber.org/protocol/muc#user")
            .map(|r| r.text()),
        Some("Avaunt".to_owned())
    );
    assert_eq!(
        item.get_child("actor", "http://jabber.org/protocol/muc#user")
            .and_then(|a| a.attr("nick")),
        Some("Alice")
    );
    alice
        .expect("Bob leaving with 307", WAIT, |s| {
            presence_with(s, BOB, &["307"])
        })
        .await;
}
}

e2e! {
async fn ban_removes_with_301_and_rejoining_is_forbidden(kind: Kind) {
    let env = Env::start(kind).await;
    let mut alice = room_with(&env, "").await;
    let mut bob = env.client("bob").await;
    join(&mut bob, BOB, "").await;
    joined(&mut bob, BOB).await;
    let s = iq(
        &mut alice,
        "ban",
        "set",
        ADMIN,
        "<item affiliation='outcast' jid='bob@localhost'/>",
    )
    .await;
    result_payload(&s);
    bob.expect("own unavailable with 301", WAIT, |s| {
        presence_with(s, BOB, &["110", "301"])
    })
    .await;
    join(&mut bob, BOB, "").await;
    refused(&mut bob, BOB, "forbidden").await;
}
}

e2e! {
async fn visitors_need_voice_in_a_moderated_room(kind: Kind) {
    let env = Env::start(kind).await;
    let mut alice = room_with(
        &env,
        "<field var='muc#roomconfig_moderatedroom'><value>1</value></field>",
    )
    .await;
    let mut bob = env.client("bob").await;
    join(&mut bob, BOB, "").await;
    let s = joined(&mut bob, BOB).await;
    let role = presence(&s).and_then(muc_item).and_then(|i| i.attr("role"));
    assert_eq!(role, Some("visitor"));
    bob.send_xml(&format!(
        "<message to='{ROOM}' type='groupchat' id='v1'><body>may I?</body></message>"
    ))
    .await;
    let s = bob
        .expect("the refusal", WAIT, |s| {
            message(s).is_some_and(|m| m.type_ == MessageType::Error)
        })
        .await;
    assert!(error_is(&s, "forbidden"), "{s:?}");
    let s = iq(
        &mut alice,
        "voice",
        "set",
        ADMIN,
        "<item nick='Bob' role='participant'/>",
    )
    .await;
    result_payload(&s);
    bob.expect("own presence as participant", WAIT, |s| {
        presence_with(s, BOB, &["110"])
            && presence(s)
                .and_then(muc_item)
                .is_some_and(|i| i.attr("role") == Some("participant"))
    })
    .await;
    bob.send_xml(&format!(
        "<message to='{ROOM}' type='groupchat' id='v2'><body>thank you</body></message>"
    ))
    .await;
    alice
        .expect("Bob speaking", WAIT, |s| {
            from_is(s, BOB)
                && message(s).is_some_and(|m| {
                    m.type_ == MessageType::Groupchat && body(m) == Some("thank you")
                })
        })
        .await;
}
}

e2e! {
async fn members_only_admits_members_only(kind: Kind) {
    let env = Env::start(kind).await;
    let mut alice = room_with(
        &env,
        "<field var='muc#roomconfig_membersonly'><value>1</value></field>",
    )
    .await;
    let mut bob = env.client("bob").await;
    join(&mut bob, BOB, "").await;
    refused(&mut bob, BOB, "registration-required").await;
    let s = iq(
        &mut alice,
        "member",
        "set",
        ADMIN,
        "<item affiliation='member' jid='bob@localhost'/>",
    )
    .await;
    result_payload(&s);
    join(&mut bob, BOB, "").await;
    let s = joined(&mut bob, BOB).await;
    let affiliation = presence(&s)
        .and_then(muc_item)
        .and_then(|i| i.attr("affiliation"));
    assert_eq!(affiliation, Some("member"));
}
}

e2e! {
async fn password_protected_room_needs_the_password(kind: Kind) {
    let env = Env::start(kind).await;
    let _alice = room_with(
        &env,
        "<field var='muc#roomconfig_passwordprotectedroom'><value>1</value></field>\
         <field var='muc#roomconfig_roomsecret'><value>cauldronburn</value></field>",
    )
    .await;
    let mut bob = env.client("bob").await;
    join(&mut bob, BOB, "").await;
    refused(&mut bob, BOB, "not-authorized").await;
    join(&mut bob, BOB, "<password>cauldronburn</password>").await;
    joined(&mut bob, BOB).await;
}
}

e2e! {
async fn destroy_sends_everyone_the_reason_and_the_venue(kind: Kind) {
    let env = Env::start(kind).await;
    let mut alice = room_with(&env, "").await;
    let mut bob = env.client("bob").await;
    join(&mut bob, BOB, "").await;
    joined(&mut bob, BOB).await;
    let s = iq(
        &mut alice,
        "destroy",
        "set",
        OWNER,
        "<destroy jid='coven@conference.localhost'><reason>Moving</reason></destroy>",
    )
    .await;
    result_payload(&s);
    let s = bob
        .expect("the destroy presence", WAIT, |s| {
            from_is(s, BOB) && presence(s).is_some_and(|p| p.type_ == PresenceType::Unavailable)
        })
        .await;
    let x = presence(&s)
        .and_then(|p| {
            p.payloads
                .iter()
                .find(|e| e.is("x", "http://jabber.org/protocol/muc#user"))
        })
        .expect("muc#user");
    let destroy = x
        .get_child("destroy", "http://jabber.org/protocol/muc#user")
        .expect("a destroy element");
    assert_eq!(destroy.attr("jid"), Some("coven@conference.localhost"));
    // The room is gone: asking for its configuration finds nothing.
    let s = iq(&mut alice, "gone", "get", OWNER, "").await;
    assert!(error_is(&s, "item-not-found"), "{s:?}");
}
}

e2e! {
async fn the_owner_list_of_a_semi_anonymous_room_is_forbidden_to_an_admin(kind: Kind) {
    let env = Env::start(kind).await;
    let mut alice = room_with(&env, "").await;
    let s = iq(
        &mut alice,
        "adm",
        "set",
        ADMIN,
        "<item affiliation='admin' jid='bob@localhost'/>",
    )
    .await;
    result_payload(&s);
    let mut bob = env.client("bob").await;
    join(&mut bob, BOB, "").await;
    joined(&mut bob, BOB).await;
    for list in ["owner", "admin"] {
        let s = iq(
            &mut bob,
            list,
            "get",
            ADMIN,
            &format!("<item affiliation='{list}'/>"),
        )
        .await;
        assert!(error_is(&s, "forbidden"), "{list}: {s:?}");
    }
    let s = iq(&mut bob, "ban", "get", ADMIN, "<item affiliation='outcast'/>").await;
    result_payload(&s);
    let s = iq(&mut alice, "own", "get", ADMIN, "<item affiliation='owner'/>").await;
    let owners: Vec<String> = result_payload(&s)
        .map(|q| q.children().filter_map(|i| i.attr("jid").map(str::to_owned)).collect())
        .unwrap_or_default();
    assert_eq!(owners, ["alice@localhost"]);
}
}
