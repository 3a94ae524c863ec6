//! Several instances, one domain: two palaver processes behind one ejabberd (its router sends
//! each room's stanzas to one of them) sharing one PostgreSQL. Rooms spread over both, a room's
//! occupants are all served by its holder, and when the holder of a game room is SIGKILLed the
//! survivor takes its connection's slot at ejabberd and the game goes on there once the players
//! rejoin. And an instance joining while the other's rooms are busy: the router moves about
//! half of them to it, which claims them, while the first drops them (333) and their occupants
//! rejoin there; no room is held by two, no committed message is lost, and the service's
//! disco#items lists the rooms of both. Needs `PALAVER_TEST_POSTGRES` (CI sets it); skipped
//! without it.

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

/// The PostgreSQL server the cluster tests use, when one is named and ejabberd is among the
/// servers tested.
fn postgres_behind_ejabberd() -> Option<String> {
    let Some(url) = std::env::var("PALAVER_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("PALAVER_TEST_POSTGRES is not set: the cluster test is skipped");
        return None;
    };
    Kind::Ejabberd.selected().then_some(url)
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
    let Some(url) = postgres_behind_ejabberd() else {
        return;
    };
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

/// One client's view while rooms move: which rooms told it it was removed (333), the
/// groupchat bodies it heard (live or from history), the ids of its messages bounced.
#[derive(Default)]
struct Seen {
    removed: BTreeSet<String>,
    bodies: BTreeSet<String>,
    echoes: BTreeSet<String>,
    bounced: BTreeSet<String>,
}

/// Reads what `client` gets for `wait`; a removal (110 + 333) from a room is answered by
/// entering it again, as a client does.
async fn drain(client: &mut Client, nick: &str, wait: Duration, seen: &mut Seen) {
    client.expect_none("nothing", wait, |_| false).await;
    for (_, s) in client.take_received(|_| true) {
        if let Some(p) = presence(&s)
            && p.type_ == PresenceType::Unavailable
            && statuses(p).contains(&"333".to_owned())
            && let Some(from) = &p.from
        {
            let room = from.to_bare().to_string();
            seen.removed.insert(room.clone());
            client
                .send_xml(&format!(
                    "<presence to='{room}/{nick}'><x xmlns='{MUC}'/></presence>"
                ))
                .await;
        }
        if let Some(m) = message(&s) {
            let text = body(m).unwrap_or_default().to_owned();
            if m.type_ == xmpp_parsers::message::MessageType::Error {
                seen.bounced.extend(m.id.as_ref().map(|i| i.0.clone()));
            } else if text.starts_with("during-") || text.starts_with("before-") {
                if m.from
                    .as_ref()
                    .is_some_and(|f| f.resource().is_some_and(|r| r.as_str() == "Alice"))
                    && nick == "Alice"
                {
                    seen.echoes.insert(text.clone());
                }
                seen.bodies.insert(text);
            }
        }
    }
}

/// Every claim seen by a sampler: `(room, owner, epoch)`, in the order seen.
async fn claims(pool: &sqlx::AnyPool) -> Vec<(String, String, i64)> {
    sqlx::query("SELECT room, owner, epoch FROM claims ORDER BY room")
        .fetch_all(pool)
        .await
        .unwrap_or_else(|e| panic!("claims: {e}"))
        .into_iter()
        .map(|r| (r.get("room"), r.get("owner"), r.get::<i64, _>("epoch")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_joining_while_rooms_are_busy_gets_its_slot_and_no_room_has_two_holders() {
    let Some(url) = postgres_behind_ejabberd() else {
        return;
    };
    const ROOMS: usize = 8;
    let (db, pool) = fresh_db(&url, "e2e_cluster_join").await;
    let server = Server::Ejabberd(support::servers::Ejabberd::start_balanced(Some(2)));
    // `dir` apart so that a restarted instance's log is its own.
    let start = |dir: &str| {
        let id = &dir[..1];
        let dir = server.dir().join(dir);
        std::fs::create_dir_all(&dir).expect("instance dir");
        Palaver::start(
            &dir,
            server.component_port(),
            &["--db", &db, "--instance", id],
        )
    };
    let a = start("a");
    let mut b = start("b");
    for (id, p) in [("a", &a), ("b", &b)] {
        assert!(
            p.wait_connected(1, Duration::from_secs(15)).await,
            "instance {id} did not connect: {}",
            p.log_text()
        );
    }

    // Persistent rooms spread over a and b, Alice and Bob in each, a message in each.
    let rooms: Vec<String> = (0..ROOMS)
        .map(|n| format!("busy{n}@conference.localhost"))
        .collect();
    let mut alice = Client::connect(server.c2s_port(), "alice", PASSWORD).await;
    let mut bob = Client::connect(server.c2s_port(), "bob", PASSWORD).await;
    for (n, room) in rooms.iter().enumerate() {
        enter(&mut alice, &format!("{room}/Alice")).await;
        alice
            .send_xml(&format!(
                "<iq type='set' to='{room}' id='cfg{n}'><query xmlns='{OWNER}'>\
                 <x xmlns='jabber:x:data' type='submit'>\
                 <field var='muc#roomconfig_persistentroom'><value>1</value></field>\
                 </x></query></iq>"
            ))
            .await;
        let s = alice
            .expect("the config result", WAIT, |s| {
                iq_reply(s, &format!("cfg{n}"))
            })
            .await;
        result_payload(&s);
        enter(&mut bob, &format!("{room}/Bob")).await;
        say_in(&mut alice, room, &format!("before-{n}")).await;
        bob.expect("the first message", WAIT, |s| {
            message(s).and_then(body) == Some(&*format!("before-{n}"))
        })
        .await;
    }
    let on_b: BTreeSet<String> = owners(&pool)
        .await
        .into_iter()
        .filter(|(_, owner)| owner == "b")
        .map(|(room, _)| room)
        .collect();
    assert!(
        !on_b.is_empty() && on_b.len() < ROOMS,
        "{on_b:?}: {}",
        b.log_text()
    );

    // b dies; a takes its slot over and, as the players rejoin, every room.
    b.kill();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !a.log_text().contains("spare link 1: connected") {
        assert!(
            std::time::Instant::now() < deadline,
            "a did not take b's slot: {}",
            a.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    alice.forget_unmatched();
    bob.forget_unmatched();
    for room in &on_b {
        enter(&mut alice, &format!("{room}/Alice")).await;
        enter(&mut bob, &format!("{room}/Bob")).await;
    }
    let before = claims(&pool).await;
    assert!(
        before.iter().all(|(_, owner, _)| owner == "a") && before.len() == ROOMS,
        "{before:?}"
    );
    alice.forget_unmatched();
    bob.forget_unmatched();

    // A sampler reads the claims table until the end: a room changes holder only with a new
    // epoch, and its epoch never goes back.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (pool, stop) = (pool.clone(), stop.clone());
        tokio::spawn(async move {
            let mut last: BTreeMap<String, (String, i64)> = BTreeMap::new();
            let mut changes = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for (room, owner, epoch) in claims(&pool).await {
                    if let Some((was, at)) = last.get(&room) {
                        assert!(epoch >= *at, "{room}: epoch {at} then {epoch}");
                        assert!(
                            epoch > *at || owner == *was,
                            "{room}: {was} then {owner} at one epoch {epoch}"
                        );
                        changes += usize::from(epoch > *at);
                    }
                    last.insert(room, (owner, epoch));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            changes
        })
    };

    // b comes back while Alice keeps talking in every room: a hands it the slot it took over
    // (closes its spare connection, and b opens a new one, which ejabberd gives the slot).
    let b = start("b2");
    let (mut alice_saw, mut bob_saw) = (Seen::default(), Seen::default());
    let mut b_up = None;
    for round in 0..12 {
        for (n, room) in rooms.iter().enumerate() {
            let text = format!("during-{round}-{n}");
            alice
                .send_xml(&format!(
                    "<message to='{room}' type='groupchat' id='{text}'><body>{text}</body></message>"
                ))
                .await;
        }
        drain(
            &mut alice,
            "Alice",
            Duration::from_millis(300),
            &mut alice_saw,
        )
        .await;
        drain(&mut bob, "Bob", Duration::from_millis(300), &mut bob_saw).await;
        if b_up.is_none() && b.log_text().contains("spare link 1: connected") {
            b_up = Some(round);
        }
        if b_up.is_some_and(|up| round >= up + 4) {
            break;
        }
    }
    assert!(
        b_up.is_some(),
        "b was not handed its slot back:\n--- a ---\n{}\n--- b ---\n{}",
        a.log_text(),
        b.log_text()
    );
    // Settle: the last removals are seen and answered.
    for _ in 0..4 {
        drain(
            &mut alice,
            "Alice",
            Duration::from_millis(500),
            &mut alice_saw,
        )
        .await;
        drain(&mut bob, "Bob", Duration::from_millis(500), &mut bob_saw).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let changes = sampler.await.unwrap_or_else(|e| panic!("sampler: {e}"));
    let logs = || format!("--- a ---\n{}\n--- b ---\n{}", a.log_text(), b.log_text());

    // About half the rooms moved to b (the router's hash of each room's JID over two slots);
    // each moved room was claimed once more, and its occupants were told by a (333).
    let after = claims(&pool).await;
    let moved: BTreeSet<String> = after
        .iter()
        .filter(|(_, owner, _)| owner == "b")
        .map(|(room, _, _)| room.clone())
        .collect();
    assert_eq!(moved, on_b, "{after:?}\n{}", logs());
    assert!(changes >= moved.len(), "{changes} claims seen changing");
    for room in &moved {
        assert!(
            a.log_text()
                .lines()
                .any(|l| l.contains("dropping it") && l.contains(room.as_str())),
            "a did not drop {room}: {}",
            logs()
        );
    }
    assert_eq!(alice_saw.removed, moved, "{}", logs());
    eprintln!(
        "rooms moved back to b: {}; claims seen changing: {changes}; Alice's messages echoed \
         {}, bounced {}",
        moved.len(),
        alice_saw.echoes.len(),
        alice_saw.bounced.len()
    );
    assert_eq!(bob_saw.removed, moved, "{}", logs());

    // Nothing committed was lost: every message Alice saw echoed is in the room's history as
    // a newcomer gets it, and every room has Alice and Bob once each.
    let mut carol = Client::connect(server.c2s_port(), "carol", PASSWORD).await;
    for room in &rooms {
        carol
            .send_xml(&format!(
                "<presence to='{room}/Carol'><x xmlns='{MUC}'><history maxstanzas='20'/></x></presence>"
            ))
            .await;
        carol
            .expect("own presence", WAIT, |s| {
                presence_with(s, &format!("{room}/Carol"), &["110"])
            })
            .await;
        let mut occupants: Vec<String> = carol
            .take_received(|s| {
                presence(s).is_some_and(|p| {
                    p.type_ == PresenceType::None
                        && p.from
                            .as_ref()
                            .is_some_and(|f| f.to_bare().to_string() == *room)
                })
            })
            .into_iter()
            .filter_map(|(_, s)| Some(presence(&s)?.from.as_ref()?.resource()?.to_string()))
            .collect();
        occupants.sort();
        assert_eq!(occupants, ["Alice", "Bob"], "{room}: {}", logs());
        let mut history = BTreeSet::new();
        // The history ends with the subject (the room's, with no body).
        carol
            .expect("the subject", WAIT, |s| {
                from_is(s, room) && message(s).is_some_and(|m| body(m).is_none())
            })
            .await;
        for (_, s) in carol.take_received(|s| message(s).and_then(body).is_some()) {
            history.extend(message(&s).and_then(body).map(str::to_owned));
        }
        let n = room
            .trim_start_matches("busy")
            .split('@')
            .next()
            .unwrap_or_default();
        let echoed: BTreeSet<&String> = alice_saw
            .echoes
            .iter()
            .filter(|e| e.ends_with(&format!("-{n}")))
            .collect();
        assert!(
            history.contains(&format!("before-{n}")),
            "{room}: {history:?}"
        );
        for e in echoed {
            assert!(
                history.contains(e),
                "{room}: {e} was echoed but is not kept: {history:?}"
            );
        }
        carol.forget_unmatched();
    }

    // The service's rooms: every one, whichever instance holds it and whichever the router
    // sends the question to.
    carol
        .send_xml(
            "<iq type='get' to='conference.localhost' id='items'>\
                   <query xmlns='http://jabber.org/protocol/disco#items'/></iq>",
        )
        .await;
    let s = carol
        .expect("the service's items", WAIT, |s| iq_reply(s, "items"))
        .await;
    let listed: BTreeSet<String> = result_payload(&s)
        .map(|q| {
            q.children()
                .filter_map(|i| i.attr("jid").map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(listed, rooms.iter().cloned().collect(), "{}", logs());

    // And the rooms go on where they are now: a message reaches Bob once.
    for (n, room) in rooms.iter().enumerate() {
        say_in(&mut alice, room, &format!("after-{n}")).await;
        let got = bob
            .count_within(Duration::from_secs(1), |s| {
                message(s).and_then(body) == Some(&*format!("after-{n}"))
            })
            .await;
        assert_eq!(
            got,
            1,
            "{room}: after-{n} reached Bob {got} times: {}",
            logs()
        );
    }
}
