//! No acknowledged change is lost: for each kind of stored state, a client makes a change, and
//! the moment its acknowledgement arrives palaver is killed with SIGKILL and started again on the
//! same database. The change must be there.

mod support;

use support::*;
use xmpp_parsers::message::MessageType;
use xmpp_parsers::presence::Type as PresenceType;
use xmpp_parsers::stanza::Stanza;

const ROOM: &str = "keep@conference.localhost";
const ALICE: &str = "keep@conference.localhost/Alice";
const BOB: &str = "keep@conference.localhost/Bob";
const MUC: &str = "http://jabber.org/protocol/muc";
const MUC_USER: &str = "http://jabber.org/protocol/muc#user";
const ADMIN: &str = "http://jabber.org/protocol/muc#admin";
const OWNER: &str = "http://jabber.org/protocol/muc#owner";

async fn enter(client: &mut Client, occupant: &str) -> Stanza {
    client
        .send_xml(&format!(
            "<presence to='{occupant}'><x xmlns='{MUC}'/></presence>"
        ))
        .await;
    client
        .expect("own presence", WAIT, |s| {
            presence_with(s, occupant, &["110"])
                && presence(s).is_some_and(|p| p.type_ == PresenceType::None)
        })
        .await
}

/// Sends an IQ to the room and returns its reply.
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

/// Alice creates `keep` as a persistent room (with `fields` besides) and stays in it.
async fn persistent_room(env: &Env, fields: &str) -> Client {
    let mut alice = env.client("alice").await;
    enter(&mut alice, ALICE).await;
    let s = iq(
        &mut alice,
        "cfg",
        "set",
        OWNER,
        &format!(
            "<x xmlns='jabber:x:data' type='submit'>\
               <field var='muc#roomconfig_persistentroom'><value>1</value></field>{fields}</x>"
        ),
    )
    .await;
    result_payload(&s);
    alice
}

/// SIGKILL and restart; the room must have come back from the store.
async fn crash(env: &mut Env) {
    env.restart_palaver().await;
    assert!(
        env.palaver
            .log_text()
            .contains("persistent rooms loaded rooms=1"),
        "{}",
        env.palaver.log_text()
    );
}

e2e! {
async fn an_echoed_subject_change_survives_sigkill(kind: Kind) {
    let mut env = Env::start(kind).await;
    let mut alice = persistent_room(&env, "").await;
    alice
        .send_xml(&format!(
            "<message to='{ROOM}' type='groupchat' id='subj'><subject>Kept subject</subject></message>"
        ))
        .await;
    alice
        .expect("the subject echoed", WAIT, |s| {
            message(s).is_some_and(|m| subject(m) == Some("Kept subject"))
        })
        .await;
    crash(&mut env).await;
    let mut bob = env.client("bob").await;
    enter(&mut bob, BOB).await;
    let s = bob
        .expect("the subject", WAIT, |s| {
            message(s).is_some_and(|m| m.type_ == MessageType::Groupchat && subject(m).is_some())
        })
        .await;
    assert_eq!(message(&s).and_then(subject), Some("Kept subject"), "{s:?}");
    assert!(from_is(&s, ALICE), "the subject keeps who set it: {s:?}");
}
}

e2e! {
async fn an_acknowledged_configuration_survives_sigkill(kind: Kind) {
    let mut env = Env::start(kind).await;
    let mut alice = persistent_room(&env, "").await;
    let s = iq(
        &mut alice,
        "name",
        "set",
        OWNER,
        "<x xmlns='jabber:x:data' type='submit'>\
           <field var='muc#roomconfig_roomname'><value>Kept</value></field></x>",
    )
    .await;
    result_payload(&s);
    crash(&mut env).await;
    let mut bob = env.client("bob").await;
    bob.send_xml(&format!(
        "<iq type='get' to='{ROOM}' id='info'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"
    ))
    .await;
    let s = bob.expect("room info", WAIT, |s| iq_reply(s, "info")).await;
    let name = result_payload(&s)
        .and_then(|q| q.children().find(|c| c.name() == "identity"))
        .and_then(|i| i.attr("name").map(str::to_owned));
    assert_eq!(name.as_deref(), Some("Kept"));
}
}

e2e! {
async fn an_acknowledged_affiliation_survives_sigkill(kind: Kind) {
    let mut env = Env::start(kind).await;
    let mut alice = persistent_room(&env, "").await;
    let s = iq(
        &mut alice,
        "ban",
        "set",
        ADMIN,
        "<item affiliation='outcast' jid='bob@localhost'><reason>Kept out</reason></item>",
    )
    .await;
    result_payload(&s);
    crash(&mut env).await;
    let mut bob = env.client("bob").await;
    bob.send_xml(&format!(
        "<presence to='{BOB}'><x xmlns='{MUC}'/></presence>"
    ))
    .await;
    let s = bob
        .expect("the refusal", WAIT, |s| from_is(s, BOB) && presence(s).is_some())
        .await;
    assert!(error_is(&s, "forbidden"), "the ban was lost: {s:?}");
}
}

e2e! {
async fn a_reflected_message_stays_in_the_history_after_sigkill(kind: Kind) {
    let mut env = Env::start(kind).await;
    let mut alice = persistent_room(&env, "").await;
    say_in(&mut alice, ROOM, "Remember me").await;
    let s = alice
        .expect("the reflection", WAIT, |s| {
            message(s).and_then(body) == Some("Remember me")
        })
        .await;
    let before = occupant_id(&s);
    crash(&mut env).await;
    let mut bob = env.client("bob").await;
    enter(&mut bob, BOB).await;
    let s = bob
        .expect("the history", WAIT, |s| {
            message(s).and_then(body) == Some("Remember me")
        })
        .await;
    assert!(from_is(&s, ALICE), "{s:?}");
    // The service key survives too: Alice is still who she was (XEP-0421).
    enter(&mut alice, ALICE).await;
    say_in(&mut alice, ROOM, "Still me").await;
    let s = bob
        .expect("Alice again", WAIT, |s| message(s).and_then(body) == Some("Still me"))
        .await;
    assert!(before.is_some());
    assert_eq!(occupant_id(&s), before);
}

}

/// The occupant-id a stanza carries.
fn occupant_id(s: &Stanza) -> Option<String> {
    xmpp_parsers::minidom::Element::from(s)
        .get_child("occupant-id", "urn:xmpp:occupant-id:0")
        .and_then(|o| o.attr("id").map(str::to_owned))
}

e2e! {
async fn an_acknowledged_move_survives_sigkill(kind: Kind) {
    let mut env = Env::start(kind).await;
    let mut alice = persistent_room(&env, "").await;
    let mut bob = env.client("bob").await;
    enter(&mut bob, BOB).await;
    for (who, line, heard) in [
        (0, "!game nim", "This room now plays Nim"),
        (0, "!clock 1+0", "Alice sets the clock"),
        (0, "!sit", "Alice sits as A"),
        (1, "!sit", "Bob sits as B"),
        (0, "!start", "The game begins"),
    ] {
        let (speaker, listener) = if who == 0 {
            (&mut alice, &mut bob)
        } else {
            (&mut bob, &mut alice)
        };
        say_in(speaker, ROOM, line).await;
        room_says(listener, ROOM, heard).await;
    }
    // Alice thinks for two seconds of her minute.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    say_in(&mut alice, ROOM, "take 2 from 3").await;
    room_says(&mut alice, ROOM, "Alice (A) plays take 2 from 3.").await;
    crash(&mut env).await;
    enter(&mut alice, ALICE).await;
    enter(&mut bob, BOB).await;
    say_in(&mut alice, ROOM, "!board").await;
    let s = alice
        .expect("the board", WAIT, |s| {
            // The answer comes privately from the game's table.
            (from_is(s, ROOM) || from_is(s, &format!("{ROOM}/Nim")))
                && message(s).and_then(body).is_some_and(|b| b.starts_with("```"))
        })
        .await;
    let board = message(&s).and_then(body).unwrap_or_default().to_owned();
    assert!(board.contains("pile 3: 3"), "the move was lost: {board}");
    // The clock goes on from the time left at the last move, not afresh.
    assert!(board.contains("Clocks (1+0): Alice 0:5"), "{board}");
}
}

e2e! {
async fn a_registered_nick_survives_sigkill(kind: Kind) {
    let mut env = Env::start(kind).await;
    let _alice = persistent_room(&env, "").await;
    let mut bob = env.client("bob").await;
    let s = iq(
        &mut bob,
        "reg",
        "set",
        "jabber:iq:register",
        "<x xmlns='jabber:x:data' type='submit'>\
           <field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>\
           <field var='muc#register_roomnick'><value>Robert</value></field></x>",
    )
    .await;
    result_payload(&s);
    crash(&mut env).await;
    let s = iq(
        &mut bob,
        "nick",
        "get",
        "http://jabber.org/protocol/disco#info' node='x-roomuser-item",
        "",
    )
    .await;
    let name = result_payload(&s)
        .and_then(|q| q.children().find(|c| c.name() == "identity"))
        .and_then(|i| i.attr("name").map(str::to_owned));
    assert_eq!(name.as_deref(), Some("Robert"), "{s:?}");
}
}

e2e! {
async fn a_registration_waiting_for_approval_survives_sigkill(kind: Kind) {
    let mut env = Env::start(kind).await;
    let mut alice = persistent_room(
        &env,
        "<field var='muc#roomconfig_membersonly'><value>1</value></field>",
    )
    .await;
    let mut bob = env.client("bob").await;
    let s = iq(
        &mut bob,
        "reg",
        "set",
        "jabber:iq:register",
        "<x xmlns='jabber:x:data' type='submit'>\
           <field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>\
           <field var='muc#register_roomnick'><value>Robert</value></field></x>",
    )
    .await;
    result_payload(&s);
    alice
        .expect("the approval form", WAIT, |s| {
            from_is(s, ROOM) && message(s).and_then(body).is_some_and(|b| b.contains("asks to register"))
        })
        .await;
    crash(&mut env).await;
    // The owner approves the request she was sent before the crash.
    alice
        .send_xml(&format!(
            "<message to='{ROOM}' id='ok'><x xmlns='jabber:x:data' type='submit'>\
               <field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>\
               <field var='x-palaver#jid'><value>bob@localhost</value></field>\
               <field var='muc#register_allow'><value>1</value></field></x></message>"
        ))
        .await;
    alice
        .expect_none("a refusal of the approval", std::time::Duration::from_secs(1), |s| {
            message(s).is_some_and(|m| m.type_ == MessageType::Error)
        })
        .await;
    enter(&mut bob, "keep@conference.localhost/Robert").await;
}
}

e2e! {
async fn a_sent_invitation_can_be_declined_after_sigkill(kind: Kind) {
    let mut env = Env::start(kind).await;
    let mut alice = persistent_room(&env, "").await;
    let mut carol = env.client("carol").await;
    carol.send_xml("<presence/>").await;
    alice
        .send_xml(&format!(
            "<message to='{ROOM}' id='inv'><x xmlns='{MUC_USER}'><invite to='carol@localhost'/></x></message>"
        ))
        .await;
    carol
        .expect("the invitation", WAIT, |s| {
            from_is(s, ROOM) && message(s).is_some_and(|m| m.payloads.iter().any(|p| p.is("x", MUC_USER)))
        })
        .await;
    crash(&mut env).await;
    carol
        .send_xml(&format!(
            "<message to='{ROOM}' id='no'><x xmlns='{MUC_USER}'><decline to='alice@localhost/e2e'><reason>Busy</reason></decline></x></message>"
        ))
        .await;
    let s = alice
        .expect("the decline", WAIT, |s| {
            from_is(s, ROOM)
                && message(s).is_some_and(|m| {
                    m.payloads
                        .iter()
                        .filter(|p| p.is("x", MUC_USER))
                        .any(|x| x.get_child("decline", MUC_USER).is_some())
                })
        })
        .await;
    assert!(message(&s).is_some(), "{s:?}");
}
}

/// Whether the stanza is an error carrying `condition`.
fn error_is(s: &Stanza, condition: &str) -> bool {
    let e = xmpp_parsers::minidom::Element::from(s);
    e.attr("type") == Some("error")
        && e.children()
            .filter(|c| c.name() == "error")
            .any(|err| err.children().any(|c| c.name() == condition))
}

e2e! {
async fn an_archived_message_survives_sigkill_with_its_stanza_id(kind: Kind) {
    let mut env = Env::start(kind).await;
    let mut alice = persistent_room(&env, "").await;
    say_in(&mut alice, ROOM, "For the record").await;
    let s = alice
        .expect("the reflection", WAIT, |s| {
            message(s).and_then(body) == Some("For the record")
        })
        .await;
    let id = xmpp_parsers::minidom::Element::from(&s)
        .get_child("stanza-id", "urn:xmpp:sid:0")
        .and_then(|e| e.attr("id").map(str::to_owned))
        .expect("a stanza-id");
    crash(&mut env).await;
    enter(&mut alice, ALICE).await;
    alice
        .send_xml(&format!(
            "<iq type='set' to='{ROOM}' id='mam'><query xmlns='urn:xmpp:mam:2'>\
               <x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:xmpp:mam:2</value></field>\
               <field var='ids'><value>{id}</value></field></x></query></iq>"
        ))
        .await;
    let s = alice
        .expect("the archived message", WAIT, |s| {
            xmpp_parsers::minidom::Element::from(s)
                .get_child("result", "urn:xmpp:mam:2")
                .is_some_and(|r| r.attr("id") == Some(id.as_str()))
        })
        .await;
    assert!(String::from(&xmpp_parsers::minidom::Element::from(&s)).contains("For the record"));
    let s = alice.expect("the fin", WAIT, |s| iq_reply(s, "mam")).await;
    result_payload(&s);
}
}
