//! Crash safety end to end: palaver killed with SIGKILL in the middle of a game and of a burst
//! of configuration and affiliation changes, restarted on the same database. Everything a client
//! was told had happened must still be there, and the game goes on from its last move.

mod support;

use std::time::Duration;

use support::*;
use xmpp_parsers::iq::Iq;
use xmpp_parsers::stanza::Stanza;

const ROOM: &str = "keep@conference.localhost";
const ALICE: &str = "keep@conference.localhost/Alice";
const BOB: &str = "keep@conference.localhost/Bob";
const ADMIN: &str = "http://jabber.org/protocol/muc#admin";

async fn chat(client: &mut Client, body: &str) {
    say_in(client, ROOM, body).await;
}

fn member_jids(s: &Stanza) -> Vec<String> {
    result_payload(s)
        .map(|q| {
            q.children()
                .filter_map(|i| i.attr("jid").map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

e2e! {
async fn acknowledged_changes_and_moves_survive_sigkill(kind: Kind) {
    let mut env = Env::start(kind).await;
    let mut alice = env.client("alice").await;
    let mut bob = env.client("bob").await;
    enter(&mut alice, ALICE).await;
    alice
        .send_xml(&format!(
            "<iq type='set' to='{ROOM}' id='cfg'><query xmlns='http://jabber.org/protocol/muc#owner'>\
               <x xmlns='jabber:x:data' type='submit'>\
                 <field var='muc#roomconfig_persistentroom'><value>1</value></field>\
                 <field var='muc#roomconfig_roomname'><value>Kept</value></field>\
               </x></query></iq>"
        ))
        .await;
    let s = alice
        .expect("configured", WAIT, |s| iq_reply(s, "cfg"))
        .await;
    result_payload(&s);
    enter(&mut bob, BOB).await;

    // A game with two moves played.
    chat(&mut alice, "!game nim").await;
    room_says(&mut bob, ROOM, "This room now plays Nim").await;
    chat(&mut alice, "!sit").await;
    room_says(&mut bob, ROOM, "Alice sits as A").await;
    chat(&mut bob, "!sit").await;
    room_says(&mut alice, ROOM, "Bob sits as B").await;
    chat(&mut alice, "!start").await;
    room_says(&mut bob, ROOM, "The game begins").await;
    chat(&mut alice, "take 2 from 3").await;
    room_says(&mut bob, ROOM, "Alice (A) plays take 2 from 3.").await;
    chat(&mut bob, "take 1 from 2").await;
    room_says(&mut alice, ROOM, "Bob (B) plays take 1 from 2.").await;

    // A burst of affiliation changes, not waiting for the answers; kill palaver part-way.
    for i in 0..40 {
        alice
            .send_xml(&format!(
                "<iq type='set' to='{ROOM}' id='m{i}'><query xmlns='{ADMIN}'><item affiliation='member' jid='user{i}@localhost'/></query></iq>"
            ))
            .await;
    }
    let mut acknowledged = Vec::new();
    while acknowledged.len() < 10 {
        let s = alice
            .expect(
                "a member grant's result",
                WAIT,
                |s| matches!(s, Stanza::Iq(Iq::Result { id, .. }) if id.starts_with('m')),
            )
            .await;
        if let Stanza::Iq(Iq::Result { id, .. }) = s {
            acknowledged.push(id[1..].parse::<usize>().unwrap_or(usize::MAX));
        }
    }
    env.palaver.kill();

    env.palaver = Palaver::start(env.server.dir(), env.server.component_port(), &[]);
    assert!(
        env.palaver.wait_connected(1, Duration::from_secs(15)).await,
        "palaver did not come back"
    );
    assert!(
        env.palaver
            .log_text()
            .contains("persistent rooms loaded rooms=1"),
        "{}",
        env.palaver.log_text()
    );
    // The sessions were dropped with the old process; both users come back.
    let s = enter(&mut alice, ALICE).await;
    let codes = presence(&s).map(statuses).unwrap_or_default();
    assert!(
        !codes.contains(&"201".to_owned()),
        "the room was created anew: {s:?}"
    );
    enter(&mut bob, BOB).await;

    alice
        .send_xml(&format!(
            "<iq type='get' to='{ROOM}' id='ml'><query xmlns='{ADMIN}'><item affiliation='member'/></query></iq>"
        ))
        .await;
    let s = alice
        .expect("the member list", WAIT, |s| iq_reply(s, "ml"))
        .await;
    let members = member_jids(&s);
    for i in &acknowledged {
        let jid = format!("user{i}@localhost");
        assert!(
            members.contains(&jid),
            "{jid} was acknowledged but is not a member: {members:?}"
        );
    }

    alice
        .send_xml(&format!(
            "<iq type='get' to='{ROOM}' id='info'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"
        ))
        .await;
    let s = alice
        .expect("room info", WAIT, |s| iq_reply(s, "info"))
        .await;
    let identity = result_payload(&s)
        .and_then(|q| q.children().find(|c| c.name() == "identity"))
        .and_then(|i| i.attr("name").map(str::to_owned));
    assert_eq!(identity.as_deref(), Some("Kept"));

    // The game goes on from the last move: piles 3, 3, 3 and Alice to move.
    chat(&mut alice, "!board").await;
    // The private answer (from the game's table) is the board alone (announcements start with
    // who played).
    let s = alice
        .expect("the board", WAIT, |s| {
            from_is(s, &format!("{ROOM}/Nim"))
                && message(s)
                    .and_then(body)
                    .is_some_and(|b| b.starts_with("```"))
        })
        .await;
    let board = message(&s).and_then(body).unwrap_or_default().to_owned();
    assert!(
        board.contains("pile 1: 3") && board.contains("pile 2: 3") && board.contains("pile 3: 3"),
        "{board}"
    );
    chat(&mut alice, "take 3 from 1").await;
    room_says(&mut bob, ROOM, "Alice (A) plays take 3 from 1.").await;
}
}

#[test]
fn a_database_that_cannot_be_opened_stops_palaver_with_one_line() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_palaver"))
        .args([
            "--domain",
            "conference.localhost",
            "--server",
            "127.0.0.1:1",
            "--secret",
            "s",
            "--db",
            "/nonexistent/dir/palaver.db",
        ])
        .env("RUST_LOG", "off")
        .env_remove("PALAVER_CONFIG")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("palaver: cannot open the database /nonexistent/dir/palaver.db: "),
        "{stderr}"
    );
}

e2e! {
/// A finished game's record and the ratings it moved are kept before anyone is told of them:
/// told, then killed, then back — they are there.
async fn records_and_ratings_survive_sigkill(kind: Kind) {
    const LOBBY: &str = "arena@conference.localhost";
    let mut env = Env::start(kind).await;
    let mut alice = env.client("alice").await;
    let mut bob = env.client("bob").await;
    enter(&mut alice, &format!("{LOBBY}/Alice")).await;
    unlock(&mut alice, LOBBY).await;
    enter(&mut bob, &format!("{LOBBY}/Bob")).await;
    say_in(&mut alice, LOBBY, "!game nim").await;
    room_says(&mut bob, LOBBY, "This room now plays Nim").await;
    say_in(&mut alice, LOBBY, "!sit").await;
    room_says(&mut bob, LOBBY, "Alice sits as A").await;
    say_in(&mut bob, LOBBY, "!sit").await;
    room_says(&mut alice, LOBBY, "Bob sits as B").await;
    say_in(&mut alice, LOBBY, "!start").await;
    room_says(&mut bob, LOBBY, "The game begins (rated).").await;
    say_in(&mut alice, LOBBY, "take 2 from 3").await;
    room_says(&mut bob, LOBBY, "Alice (A) plays take 2 from 3.").await;
    say_in(&mut bob, LOBBY, "!resign").await;
    room_says(
        &mut alice,
        LOBBY,
        "Ratings: Alice 1500 → 1662 (+162); Bob 1500 → 1338 (-162).",
    )
    .await;
    room_says(&mut alice, LOBBY, "Recorded as game #1").await;
    env.restart_palaver().await;
    alice.forget_unmatched();
    enter(&mut alice, &format!("{LOBBY}/Alice")).await;
    unlock(&mut alice, LOBBY).await;
    say_in(&mut alice, LOBBY, "!game nim").await;
    room_says(&mut alice, LOBBY, "This room now plays Nim").await;
    let table = format!("{LOBBY}/Nim");
    say_in(&mut alice, LOBBY, "!top").await;
    alice
        .expect("the ratings, back", WAIT, |s| {
            from_is(s, &table)
                && message(s)
                    .and_then(body)
                    .is_some_and(|b| b.contains("1. Alice 1662?\n2. Bob 1338?"))
        })
        .await;
    say_in(&mut alice, LOBBY, "!replay 1 1").await;
    alice
        .expect("the record, back", WAIT, |s| {
            from_is(s, &table)
                && message(s)
                    .and_then(body)
                    .is_some_and(|b| b.contains("step 1 of 1: Alice (A) played take 2 from 3."))
        })
        .await;
}}
