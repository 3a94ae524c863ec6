//! Several instances, one domain: two palaver processes behind one ejabberd (its router sends
//! each room's stanzas to one of them) sharing one PostgreSQL. Rooms spread over both, a room's
//! occupants are all served by its holder, and when the holder of a game room is SIGKILLed the
//! survivor takes its connection's slot at ejabberd and the game goes on there once the players
//! rejoin. Needs `PALAVER_TEST_POSTGRES` (CI sets it);
//! skipped without it.

// One test, ejabberd only: the per-server macro of the others is not used here.
#[allow(unused_macros, unused_imports)]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use sqlx::Row;
use support::*;
use xmpp_parsers::presence::Type as PresenceType;
use xmpp_parsers::stanza::Stanza;

const ROOM: &str = "match@conference.localhost";
const ALICE: &str = "match@conference.localhost/Alice";
const BOB: &str = "match@conference.localhost/Bob";
const MUC: &str = "http://jabber.org/protocol/muc";
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

/// A fresh database `palaver_test_NAME` on the server of `url`, and a pool on it.
async fn fresh_db(url: &str, name: &str) -> (String, sqlx::AnyPool) {
    sqlx::any::install_default_drivers();
    let admin = sqlx::AnyPool::connect(url)
        .await
        .unwrap_or_else(|e| panic!("postgres {url}: {e}"));
    let db = format!("palaver_test_{name}");
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .execute(&admin)
        .await;
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(&admin)
        .await
        .unwrap_or_else(|e| panic!("create {db}: {e}"));
    let base = url.rsplit_once('/').map_or(url, |(b, _)| b);
    let url = format!("{base}/{db}");
    let pool = sqlx::AnyPool::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    (url, pool)
}

/// Who holds each room, as the claims table says.
async fn owners(pool: &sqlx::AnyPool) -> BTreeMap<String, String> {
    sqlx::query("SELECT room, owner FROM claims")
        .fetch_all(pool)
        .await
        .unwrap_or_else(|e| panic!("claims: {e}"))
        .into_iter()
        .map(|r| (r.get::<String, _>("room"), r.get::<String, _>("owner")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_serve_one_domain_and_a_killed_ones_game_goes_on() {
    let Some(url) = std::env::var("PALAVER_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("PALAVER_TEST_POSTGRES is not set: the cluster test is skipped");
        return;
    };
    if !Kind::Ejabberd.selected() {
        return;
    }
    let (db, pool) = fresh_db(&url, "e2e_cluster").await;
    let server = Server::Ejabberd(support::servers::Ejabberd::start_balanced(Some(2)));
    let mut instances = BTreeMap::new();
    for id in ["a", "b"] {
        let dir = server.dir().join(id);
        std::fs::create_dir_all(&dir).expect("instance dir");
        let palaver = Palaver::start(
            &dir,
            server.component_port(),
            &["--db", &db, "--instance", id],
        );
        assert!(
            palaver.wait_connected(1, Duration::from_secs(15)).await,
            "instance {id} did not connect: {}",
            palaver.log_text()
        );
        instances.insert(id, palaver);
    }
    let logs = |instances: &BTreeMap<&str, Palaver>| {
        instances
            .iter()
            .map(|(id, p)| format!("--- {id} ---\n{}", p.log_text()))
            .collect::<Vec<_>>()
            .join("\n")
    };

    // Rooms spread over both instances.
    let mut carol = Client::connect(server.c2s_port(), "carol", PASSWORD).await;
    for n in 0..10 {
        enter(&mut carol, &format!("spread{n}@conference.localhost/Carol")).await;
    }
    let held: BTreeSet<String> = owners(&pool).await.into_values().collect();
    assert_eq!(
        held,
        BTreeSet::from(["a".to_owned(), "b".to_owned()]),
        "{}",
        logs(&instances)
    );

    // A persistent game room: both players are served by the one instance that holds it.
    let mut alice = Client::connect(server.c2s_port(), "alice", PASSWORD).await;
    let mut bob = Client::connect(server.c2s_port(), "bob", PASSWORD).await;
    enter(&mut alice, ALICE).await;
    alice
        .send_xml(&format!(
            "<iq type='set' to='{ROOM}' id='cfg'><query xmlns='{OWNER}'>\
             <x xmlns='jabber:x:data' type='submit'>\
             <field var='muc#roomconfig_persistentroom'><value>1</value></field>\
             </x></query></iq>"
        ))
        .await;
    let s = alice
        .expect("the config result", WAIT, |s| iq_reply(s, "cfg"))
        .await;
    result_payload(&s);
    enter(&mut bob, BOB).await;
    alice
        .expect("Bob's arrival", WAIT, |s| {
            from_is(s, BOB) && presence(s).is_some_and(|p| p.type_ == PresenceType::None)
        })
        .await;
    for (who, line, heard) in [
        (0, "!game nim", "This room now plays Nim"),
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
    say_in(&mut alice, ROOM, "take 2 from 3").await;
    room_says(&mut bob, ROOM, "Alice (A) plays take 2 from 3.").await;
    let holder = owners(&pool)
        .await
        .get(ROOM)
        .cloned()
        .unwrap_or_else(|| panic!("nobody holds {ROOM}"));
    let other = if holder == "a" { "b" } else { "a" };
    assert!(
        !instances[other]
            .log_text()
            .contains("match@conference.localhost"),
        "the other instance saw the room's stanzas"
    );

    // The holder dies. ejabberd keeps its slot (`component_number`) free and drops what it
    // routes there; the survivor sees the dead one's heartbeat stop, opens a spare connection
    // that takes the free slot, and the players rejoin (their self-pings would fail) onto it,
    // which claims the room and loads the game as it was. No replacement is started.
    if let Some(p) = instances.get_mut(holder.as_str()) {
        p.kill();
    }
    let survivor = &instances[other];
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !survivor.log_text().contains("spare link 1: connected") {
        assert!(
            std::time::Instant::now() < deadline,
            "the survivor did not take the dead one's slot: {}",
            survivor.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // What they heard before (self-presences among it) must not pass for the answers.
    alice.forget_unmatched();
    bob.forget_unmatched();
    enter(&mut alice, ALICE).await;
    enter(&mut bob, BOB).await;
    assert_eq!(
        owners(&pool).await.get(ROOM).map(String::as_str),
        Some(other),
        "{}",
        logs(&instances)
    );
    say_in(&mut alice, ROOM, "!board").await;
    let s = alice
        .expect("the board", WAIT, |s| {
            (from_is(s, ROOM) || from_is(s, &format!("{ROOM}/Nim")))
                && message(s)
                    .and_then(body)
                    .is_some_and(|b| b.starts_with("```"))
        })
        .await;
    let board = message(&s).and_then(body).unwrap_or_default().to_owned();
    assert!(board.contains("pile 3: 3"), "the move was lost: {board}");
    // And the game goes on: Bob's move is played there.
    say_in(&mut bob, ROOM, "take 1 from 1").await;
    let said = room_says(&mut alice, ROOM, "Bob (B) plays").await;
    assert!(said.contains("take 1 from 1"), "{said}");
}
