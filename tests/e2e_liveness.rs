//! Who is still there, end to end: after the XMPP server restarts under palaver, sessions that
//! died with it leave their rooms within seconds; after palaver itself is SIGKILLed and
//! restarted, occupants still online are back without noticing and the others are told.

mod support;

use std::time::Duration;

use support::*;
use xmpp_parsers::presence::Type as PresenceType;

const ROOM: &str = "hall@conference.localhost";
const MUC: &str = "http://jabber.org/protocol/muc";

async fn enter(client: &mut Client, nick: &str) {
    let occupant = format!("{ROOM}/{nick}");
    client
        .send_xml(&format!(
            "<presence to='{occupant}'><x xmlns='{MUC}'/></presence>"
        ))
        .await;
    client
        .expect("own presence", WAIT, |s| {
            presence_with(s, &occupant, &["110"])
                && presence(s).is_some_and(|p| p.type_ == PresenceType::None)
        })
        .await;
}

/// Alice creates a persistent room.
async fn persistent_room(alice: &mut Client) {
    enter(alice, "Alice").await;
    alice
        .send_xml(&format!(
            "<iq type='set' to='{ROOM}' id='cfg'><query xmlns='http://jabber.org/protocol/muc#owner'>\
               <x xmlns='jabber:x:data' type='submit'>\
                 <field var='muc#roomconfig_persistentroom'><value>1</value></field>\
               </x></query></iq>"
        ))
        .await;
    alice
        .expect("the configuration result", WAIT, |s| iq_reply(s, "cfg"))
        .await;
}

/// The room's occupant count, from its muc#roominfo (§6.4).
async fn occupants(client: &mut Client, id: &str) -> usize {
    client
        .send_xml(&format!(
            "<iq type='get' to='{ROOM}' id='{id}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"
        ))
        .await;
    let s = client.expect("room info", WAIT, |s| iq_reply(s, id)).await;
    result_payload(&s)
        .and_then(|q| q.get_child("x", "jabber:x:data"))
        .into_iter()
        .flat_map(|x| x.children())
        .find(|f| f.attr("var") == Some("muc#roominfo_occupants"))
        .and_then(|f| f.children().next())
        .and_then(|v| v.text().parse().ok())
        .unwrap_or(usize::MAX)
}

e2e! {
async fn sessions_that_died_with_the_server_leave_within_seconds(kind: Kind) {
    let mut env = Env::start(kind).await;
    let mut alice = env.client("alice").await;
    persistent_room(&mut alice).await;
    let mut bob = env.client("bob").await;
    enter(&mut bob, "Bob").await;
    // The server dies with every session on it (SIGKILL) and comes back.
    env.server.kill();
    drop(alice);
    drop(bob);
    env.server.launch();
    assert!(
        env.palaver.wait_connected(2, Duration::from_secs(30)).await,
        "palaver did not reconnect"
    );
    // Within seconds the room knows that Alice's and Bob's sessions are gone: it counts no
    // occupant, and Carol, entering then, finds nobody.
    let mut carol = env.client("carol").await;
    let until = std::time::Instant::now() + Duration::from_secs(15);
    let mut n = 0;
    loop {
        n += 1;
        let count = occupants(&mut carol, &format!("count{n}")).await;
        if count == 0 {
            break;
        }
        assert!(std::time::Instant::now() < until, "still {count} occupants");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    enter(&mut carol, "Carol").await;
    carol
        .expect_none("a ghost's presence", Duration::from_millis(500), |s| {
            presence(s).is_some_and(|p| p.type_ == PresenceType::None)
                && (from_is(s, &format!("{ROOM}/Alice")) || from_is(s, &format!("{ROOM}/Bob")))
        })
        .await;
    let mut bob = env.client("bob").await;
    enter(&mut bob, "Bob").await;
    carol
        .expect("Bob entering anew", WAIT, |s| {
            from_is(s, &format!("{ROOM}/Bob"))
                && presence(s).is_some_and(|p| p.type_ == PresenceType::None)
        })
        .await;
}}

e2e! {
async fn after_palaver_restarts_who_is_online_is_back_and_who_is_not_is_told(kind: Kind) {
    let mut env = Env::start(kind).await;
    let mut alice = env.client("alice").await;
    persistent_room(&mut alice).await;
    let mut bob = env.client("bob").await;
    enter(&mut bob, "Bob").await;
    alice
        .expect("Bob's arrival", WAIT, |s| {
            from_is(s, &format!("{ROOM}/Bob"))
                && presence(s).is_some_and(|p| p.type_ == PresenceType::None)
        })
        .await;
    // palaver dies; while it is down Bob goes offline (the room never hears of it).
    env.palaver.kill();
    drop(bob);
    tokio::time::sleep(Duration::from_millis(500)).await;
    env.restart_palaver().await;
    // Alice's client answers the room's question (as any client does) and is back in the room;
    // she hears that Bob, who did not answer, left.
    let s = alice
        .expect("Bob's departure", Duration::from_secs(15), |s| {
            from_is(s, &format!("{ROOM}/Bob"))
                && presence(s).is_some_and(|p| p.type_ == PresenceType::Unavailable)
        })
        .await;
    let p = presence(&s).expect("a presence");
    assert!(statuses(p).contains(&"333".to_owned()), "{p:?}");
    // She speaks without entering again: she is an occupant.
    say_in(&mut alice, ROOM, "still here").await;
    let s = alice
        .expect("her own message back", WAIT, |s| {
            from_is(s, &format!("{ROOM}/Alice"))
                && message(s).and_then(body).is_some_and(|b| b == "still here")
        })
        .await;
    assert!(message(&s).is_some_and(|m| m.type_ == xmpp_parsers::message::MessageType::Groupchat));
}}
