//! Invitations (§7.8.2) and registration (§7.10, §7.12) end to end: real Prosody, the palaver
//! binary, real c2s clients.

mod support;

use support::*;
use xmpp_parsers::minidom::Element;
use xmpp_parsers::presence::Type as PresenceType;
use xmpp_parsers::stanza::Stanza;

const ROOM: &str = "lobby@conference.localhost";
const ALICE: &str = "lobby@conference.localhost/Alice";
const MUC: &str = "http://jabber.org/protocol/muc";
const MUC_USER: &str = "http://jabber.org/protocol/muc#user";
const OWNER: &str = "http://jabber.org/protocol/muc#owner";

/// Alice creates `lobby` as an instant room and stays in it.
async fn lobby(env: &Env) -> Client {
    let mut alice = env.client("alice").await;
    alice
        .send_xml(&format!(
            "<presence to='{ALICE}'><x xmlns='{MUC}'/></presence>"
        ))
        .await;
    alice
        .expect("own presence with 110", WAIT, |s| {
            presence_with(s, ALICE, &["110"])
        })
        .await;
    alice
        .send_xml(&format!(
            "<iq type='set' to='{ROOM}' id='create'><query xmlns='{OWNER}'><x xmlns='jabber:x:data' type='submit'/></query></iq>"
        ))
        .await;
    let s = alice
        .expect("the room unlocked", WAIT, |s| iq_reply(s, "create"))
        .await;
    result_payload(&s);
    alice
}

/// The muc#user child `name` of a message from the room, if it has one.
fn muc_user_child(s: &Stanza, name: &str) -> Option<Element> {
    let m = message(s)?;
    if !from_is(s, ROOM) {
        return None;
    }
    m.payloads
        .iter()
        .find(|p| p.is("x", MUC_USER))?
        .get_child(name, MUC_USER)
        .cloned()
}

e2e! {
async fn an_invitation_reaches_the_invitee_and_the_decline_the_inviter(kind: Kind) {
    let env = Env::start(kind).await;
    let mut alice = lobby(&env).await;
    let mut carol = env.client("carol").await;
    // Available, so that the server delivers messages to her bare JID at once.
    carol.send_xml("<presence/>").await;
    carol
        .expect("her own presence", WAIT, |s| presence(s).is_some())
        .await;
    alice
        .send_xml(&format!(
            "<message to='{ROOM}' id='inv'><x xmlns='{MUC_USER}'><invite to='carol@localhost'><reason>Chess?</reason></invite></x></message>"
        ))
        .await;
    let s = carol
        .expect("the invitation", WAIT, |s| {
            muc_user_child(s, "invite").is_some()
        })
        .await;
    let invite = muc_user_child(&s, "invite").expect("an invite");
    assert_eq!(invite.attr("from"), Some(alice.full().to_string().as_str()));
    assert_eq!(
        invite.get_child("reason", MUC_USER).map(|r| r.text()),
        Some("Chess?".to_owned())
    );
    let m = message(&s).expect("a message");
    let conference = m
        .payloads
        .iter()
        .find(|p| p.is("x", "jabber:x:conference"))
        .expect("the XEP-0249 payload");
    assert_eq!(conference.attr("jid"), Some(ROOM));
    assert!(body(m).is_some_and(|b| b.contains(ROOM)), "{m:?}");

    carol
        .send_xml(&format!(
            "<message to='{ROOM}' id='dec'><x xmlns='{MUC_USER}'><decline to='alice@localhost'><reason>Busy</reason></decline></x></message>"
        ))
        .await;
    let s = alice
        .expect("the decline", WAIT, |s| {
            muc_user_child(s, "decline").is_some()
        })
        .await;
    let decline = muc_user_child(&s, "decline").expect("a decline");
    assert_eq!(decline.attr("from"), Some("carol@localhost"));
    assert_eq!(
        decline.get_child("reason", MUC_USER).map(|r| r.text()),
        Some("Busy".to_owned())
    );
}
}

e2e! {
async fn a_registered_nick_is_reserved(kind: Kind) {
    let env = Env::start(kind).await;
    let _alice = lobby(&env).await;
    let mut bob = env.client("bob").await;
    bob.send_xml(&format!(
        "<iq type='set' to='{ROOM}' id='reg'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>\
           <field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>\
           <field var='muc#register_roomnick'><value>Robert</value></field></x></query></iq>"
    ))
    .await;
    let s = bob
        .expect("the registration result", WAIT, |s| iq_reply(s, "reg"))
        .await;
    result_payload(&s);
    bob.send_xml(&format!(
        "<iq type='get' to='{ROOM}' id='nick'><query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'/></iq>"
    ))
    .await;
    let s = bob
        .expect("the reserved nickname", WAIT, |s| iq_reply(s, "nick"))
        .await;
    let identity = result_payload(&s)
        .and_then(|q| q.get_child("identity", "http://jabber.org/protocol/disco#info"))
        .expect("an identity");
    assert_eq!(identity.attr("name"), Some("Robert"));

    let mut carol = env.client("carol").await;
    let taken = "lobby@conference.localhost/Robert";
    carol
        .send_xml(&format!(
            "<presence to='{taken}'><x xmlns='{MUC}'/></presence>"
        ))
        .await;
    let s = carol
        .expect("the refusal", WAIT, |s| {
            from_is(s, taken) && presence(s).is_some()
        })
        .await;
    let p = presence(&s).expect("a presence");
    assert_eq!(p.type_, PresenceType::Error, "{p:?}");
    assert!(
        Element::from(&s)
            .children()
            .filter(|c| c.name() == "error")
            .any(|e| e.children().any(|c| c.name() == "conflict")),
        "{s:?}"
    );
}
}
