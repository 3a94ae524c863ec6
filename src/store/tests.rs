//! The store against SQLite always and PostgreSQL when `PALAVER_TEST_POSTGRES` names a server
//! (CI sets it; with `CI=true` a missing server fails the tests rather than skipping them).

use super::capture::restore;
use super::*;
use crate::testing::Harness;

fn block<T>(f: impl std::future::Future<Output = T>) -> T {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(f),
        Err(e) => panic!("runtime: {e}"),
    }
}

/// A fresh database of each kind available: a SQLite file, and a Postgres schema of its own.
async fn stores(name: &str) -> Vec<(String, Store, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("t.db");
    let sqlite = Store::open(&path.display().to_string())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut all = vec![("sqlite".to_owned(), sqlite, Some(dir))];
    match std::env::var("PALAVER_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => {
            let db = fresh_postgres_db(&url, name).await;
            let pg = Store::open(&db).await.unwrap_or_else(|e| panic!("{e}"));
            all.push(("postgres".to_owned(), pg, None));
        }
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but PALAVER_TEST_POSTGRES is not set: the PostgreSQL store is untested")
        }
        _ => {}
    }
    all
}

/// Creates (or recreates) database `palaver_test_NAME` on the server of `url`.
pub(crate) async fn fresh_postgres_db(url: &str, name: &str) -> String {
    install_default_drivers();
    let db = format!("palaver_test_{name}");
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap_or_else(|e| panic!("postgres {url}: {e}"));
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {db}"))
        .execute(&pool)
        .await;
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(&pool)
        .await
        .unwrap_or_else(|e| panic!("create {db}: {e}"));
    let base = url.rsplit_once('/').map_or(url, |(b, _)| b);
    format!("{base}/{db}")
}

fn room(jid: &str) -> Change {
    Change::PutRoom {
        jid: jid.into(),
        config: "(name: \"x\")".into(),
    }
}

fn message(seq: i64) -> StoredMessage {
    StoredMessage {
        seq,
        stamp_ms: 1_767_225_600_000 + seq,
        spectator: seq % 2 == 1,
        xml: format!(
            "<message xmlns='jabber:client' type='groupchat'><body>m{seq}</body></message>"
        ),
    }
}

fn archived(seq: i64) -> StoredArchived {
    StoredArchived {
        seq,
        id: format!("id{seq}"),
        stamp_ms: 1_767_225_600_000 + seq,
        publisher: "alice@localhost".into(),
        occupant_id: "0a1b".into(),
        spectator: seq % 2 == 0,
        retracted: false,
        xml: format!(
            "<message xmlns='jabber:client' type='groupchat'><body>a{seq}</body></message>"
        ),
    }
}

#[test]
fn every_change_round_trips() {
    block(async {
        for (kind, store, _dir) in stores("round_trip").await {
            let changes = vec![
                room("a@c.localhost"),
                room("b@c.localhost"),
                Change::SetAffiliations {
                    room: "a@c.localhost".into(),
                    list: vec![
                        StoredAffiliation {
                            jid: "alice@localhost".into(),
                            affiliation: "owner".into(),
                            nick: Some("Alice".into()),
                            reason: None,
                        },
                        StoredAffiliation {
                            jid: "eve@localhost".into(),
                            affiliation: "outcast".into(),
                            nick: None,
                            reason: Some("spam".into()),
                        },
                    ],
                },
                Change::SetSubject {
                    room: "a@c.localhost".into(),
                    subject: Some(StoredSubject {
                        text: "Chess".into(),
                        by: Some("a@c.localhost/Alice".into()),
                        occupant_id: Some("0123".into()),
                        stamp_ms: Some(1_767_225_600_000),
                    }),
                },
                Change::AppendHistory {
                    room: "a@c.localhost".into(),
                    messages: (0..5).map(message).collect(),
                    keep_from: 2,
                },
                Change::SetGame {
                    room: "a@c.localhost".into(),
                    game: Some("(game: \"nim\")".into()),
                },
                Change::SetRequests {
                    room: "a@c.localhost".into(),
                    list: vec![StoredRequest {
                        jid: "dave@localhost".into(),
                        nick: "Dave".into(),
                        form: "<x xmlns='jabber:x:data' type='submit'/>".into(),
                    }],
                },
                Change::SetInvitations {
                    room: "a@c.localhost".into(),
                    list: vec![
                        StoredInvitation {
                            invitee: "carol@localhost".into(),
                            inviter: "alice@localhost/pc".into(),
                        },
                        StoredInvitation {
                            invitee: "dave@localhost".into(),
                            inviter: "alice@localhost/pc".into(),
                        },
                    ],
                },
                Change::AppendArchive {
                    room: "a@c.localhost".into(),
                    entries: (0..4).map(archived).collect(),
                    keep_from: 1,
                },
                Change::RetractArchived {
                    room: "a@c.localhost".into(),
                    seq: 2,
                    xml: "<message xmlns='jabber:client'/>".into(),
                },
                Change::ReplaceHistory {
                    room: "a@c.localhost".into(),
                    seq: 3,
                    xml: "<message xmlns='jabber:client'/>".into(),
                },
                Change::SetRequests {
                    room: "b@c.localhost".into(),
                    list: vec![StoredRequest {
                        jid: "eve@localhost".into(),
                        nick: "Eve".into(),
                        form: String::new(),
                    }],
                },
                Change::DeleteRoom {
                    jid: "b@c.localhost".into(),
                },
            ];
            store
                .apply(&changes)
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            let rooms = store
                .load_all()
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(rooms.len(), 1, "{kind}");
            let a = &rooms[0];
            assert_eq!(a.jid, "a@c.localhost");
            assert_eq!(a.config, "(name: \"x\")");
            assert_eq!(a.affiliations.len(), 2, "{kind}");
            assert_eq!(a.affiliations[1].reason.as_deref(), Some("spam"));
            assert_eq!(a.subject.as_ref().map(|s| s.text.as_str()), Some("Chess"));
            // History trimmed below 2.
            let mut expected: Vec<StoredMessage> = (2..5).map(message).collect();
            expected[1].xml = "<message xmlns='jabber:client'/>".into();
            assert_eq!(a.history, expected, "{kind}");
            assert_eq!(a.game.as_deref(), Some("(game: \"nim\")"));
            assert_eq!(
                a.archive
                    .iter()
                    .map(|m| (m.seq, m.retracted))
                    .collect::<Vec<_>>(),
                [(1, false), (2, true), (3, false)],
                "{kind}"
            );
            assert_eq!(a.archive[1].xml, "<message xmlns='jabber:client'/>");
            assert_eq!(a.archive[0], archived(1), "{kind}");
            assert_eq!(a.requests.len(), 1, "{kind}");
            assert_eq!(a.requests[0].nick, "Dave");
            assert_eq!(
                a.invitations
                    .iter()
                    .map(|i| i.invitee.as_str())
                    .collect::<Vec<_>>(),
                ["carol@localhost", "dave@localhost"],
                "{kind}: invitations keep their order"
            );
            // Idempotent: applying again changes nothing.
            store
                .apply(&changes)
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(store.load_all().await.ok(), Some(rooms), "{kind}");
        }
    });
}

#[test]
fn a_failing_batch_applies_nothing() {
    block(async {
        for (kind, store, _dir) in stores("atomic").await {
            store
                .apply(&[room("a@c.localhost")])
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let twice = StoredAffiliation {
                jid: "alice@localhost".into(),
                affiliation: "owner".into(),
                nick: None,
                reason: None,
            };
            // The second change breaks the (room, jid) key: the whole batch must roll back.
            let batch = [
                room("z@c.localhost"),
                Change::SetAffiliations {
                    room: "a@c.localhost".into(),
                    list: vec![twice.clone(), twice],
                },
            ];
            assert!(store.apply(&batch).await.is_err(), "{kind}");
            let rooms = store.load_all().await.unwrap_or_else(|e| panic!("{e}"));
            let jids: Vec<&str> = rooms.iter().map(|r| r.jid.as_str()).collect();
            assert_eq!(jids, ["a@c.localhost"], "{kind}");
        }
    });
}

#[test]
fn a_newer_schema_is_refused_in_one_line() {
    block(async {
        for (kind, store, _dir) in stores("newer").await {
            sqlx::query(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                 VALUES (99, 'from the future', TRUE, $1, 0)",
            )
            .bind(vec![0u8; 48])
            .execute(&store.pool)
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
            let url = store.url().to_owned();
            drop(store);
            let err = match Store::open(&url).await {
                Ok(_) => panic!("{kind}: a newer schema was accepted"),
                Err(e) => e.to_string(),
            };
            let known = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
            assert!(
                err.contains(&format!(
                    "has schema version 99, newer than this palaver knows ({known}): upgrade palaver"
                )),
                "{kind}: {err}"
            );
            assert!(!err.contains('\n'));
        }
    });
}

#[test]
fn a_bad_or_unreachable_database_is_one_line() {
    block(async {
        let err = match Store::open("/nonexistent/dir/palaver.db").await {
            Ok(_) => panic!("opened"),
            Err(e) => e.to_string(),
        };
        assert!(
            err.starts_with("cannot open the database /nonexistent/dir/palaver.db: "),
            "{err}"
        );
        assert!(!err.contains('\n'));
        // A closed loopback port: refused at once.
        let err = match Store::open("postgres://palaver@127.0.0.1:1/palaver").await {
            Ok(_) => panic!("opened"),
            Err(e) => e.to_string(),
        };
        assert!(
            err.starts_with("cannot open the database postgres://palaver@127.0.0.1:1/palaver: "),
            "{err}"
        );
    });
}

#[test]
fn one_bad_batch_does_not_sink_the_others() {
    block(async {
        for (kind, store, _dir) in stores("retry").await {
            let twice = StoredAffiliation {
                jid: "alice@localhost".into(),
                affiliation: "owner".into(),
                nick: None,
                reason: None,
            };
            let (handle, mut done, task) = spawn(store);
            // Queued together, so the task first tries them in one transaction.
            handle.submit(Batch {
                changes: vec![room("a@c.localhost")],
                ticket: 1,
                ..Default::default()
            });
            handle.submit(Batch {
                changes: vec![Change::SetAffiliations {
                    room: "a@c.localhost".into(),
                    list: vec![twice.clone(), twice],
                }],
                ticket: 2,
                ..Default::default()
            });
            handle.submit(Batch {
                changes: vec![room("b@c.localhost")],
                ticket: 3,
                ..Default::default()
            });
            let mut results = Vec::new();
            while results.last().map(|c: &Committed| c.ticket) != Some(3) {
                results.push(
                    done.recv()
                        .await
                        .unwrap_or_else(|| panic!("{kind}: task ended")),
                );
            }
            let failed: Vec<u64> = results.iter().filter(|c| !c.ok).map(|c| c.ticket).collect();
            assert_eq!(failed, [2], "{kind}: {results:?}");
            drop(handle);
            task.await.unwrap_or_else(|e| panic!("{e}"));
        }
    });
}

#[test]
fn the_task_commits_batches_and_acknowledges_tickets_in_order() {
    block(async {
        for (kind, store, _dir) in stores("task").await {
            let (handle, mut done, task) = spawn(store);
            for t in 1..=20u64 {
                assert!(handle.submit(Batch {
                    changes: vec![room(&format!("r{t}@c.localhost"))],
                    ticket: t,
                    ..Default::default()
                }));
            }
            let mut last = 0;
            while last < 20 {
                let c = done
                    .recv()
                    .await
                    .unwrap_or_else(|| panic!("{kind}: task ended"));
                assert!(c.ok, "{kind}");
                assert!(c.ticket > last, "{kind}: tickets out of order");
                last = c.ticket;
            }
            drop(handle);
            task.await.unwrap_or_else(|e| panic!("{e}"));
        }
    });
}

/// A persistent room, an admin list, a subject, history and a game: stored from one engine and
/// restored into another, through a real database.
#[test]
fn a_world_survives_a_restart() {
    let mut h = Harness::new();
    crate::play::install(
        &mut h.engine,
        crate::game::load_dir(
            std::path::Path::new("rules"),
            std::path::Path::new("assets"),
        )
        .0,
    );
    h.create_instant("alice@localhost/pc", "lobby@conference.localhost", "Alice");
    h.send("<iq type='set' id='c' from='alice@localhost/pc' to='lobby@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>\
        <field var='muc#roomconfig_persistentroom'><value>1</value></field><field var='muc#roomconfig_roomname'><value>Games</value></field></x></query></iq>");
    h.send("<iq type='set' id='m' from='alice@localhost/pc' to='lobby@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='bob@localhost'/></query></iq>");
    h.send("<message type='groupchat' from='alice@localhost/pc' to='lobby@conference.localhost'><subject>Nim night</subject></message>");
    h.join("bob@localhost/m", "lobby@conference.localhost/Bob");
    h.send("<message type='groupchat' from='alice@localhost/pc' to='lobby@conference.localhost'><body>!game nim</body></message>");
    h.send("<message type='groupchat' from='alice@localhost/pc' to='lobby@conference.localhost'><body>!sit</body></message>");
    h.send("<message type='groupchat' from='bob@localhost/m' to='lobby@conference.localhost'><body>!sit</body></message>");
    h.send("<message type='groupchat' from='alice@localhost/pc' to='lobby@conference.localhost'><body>!start</body></message>");
    h.send("<message type='groupchat' from='alice@localhost/pc' to='lobby@conference.localhost'><body>take 2 from 3</body></message>");
    h.send("<message id='i' from='alice@localhost/pc' to='lobby@conference.localhost'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='carol@localhost'/></x></message>");
    // A message retracted by a moderator: a tombstone in the archive and the history.
    let out = h.send("<message type='groupchat' id='x' from='bob@localhost/m' to='lobby@conference.localhost'><body>regret</body></message>");
    let regret = out[0]
        .get_child("stanza-id", "urn:xmpp:sid:0")
        .and_then(|s| s.attr("id"))
        .unwrap_or_default()
        .to_owned();
    h.send(&format!("<iq type='set' id='m' from='alice@localhost/pc' to='lobby@conference.localhost'><moderate id='{regret}' xmlns='urn:xmpp:message-moderate:1'><retract xmlns='urn:xmpp:message-retract:1'/></moderate></iq>"));
    let archive_before: Vec<String> = h
        .send("<iq type='set' id='q' from='bob@localhost/m' to='lobby@conference.localhost'><query xmlns='urn:xmpp:mam:2'/></iq>")
        .iter()
        .filter(|e| e.name() == "message")
        .map(crate::testing::canonical)
        .collect();
    assert!(archive_before.len() > 5 && archive_before.iter().all(|m| !m.contains("regret")));
    // A temporary room is never stored.
    h.create_instant("carol@localhost/c", "tmp@conference.localhost", "Carol");
    assert!(
        h.stored.iter().all(|c| !format!("{c:?}").contains("tmp@")),
        "{:?}",
        h.stored
    );
    let changes = std::mem::take(&mut h.stored);
    block(async {
        for (kind, store, _dir) in stores("world").await {
            store
                .apply(&changes)
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            let rooms = store.load_all().await.unwrap_or_else(|e| panic!("{e}"));
            let mut again = Harness::new();
            crate::play::install(
                &mut again.engine,
                crate::game::load_dir(
                    std::path::Path::new("rules"),
                    std::path::Path::new("assets"),
                )
                .0,
            );
            let now = chrono::DateTime::<chrono::Utc>::from(again.now);
            assert_eq!(restore(&mut again.engine, rooms, now), 1, "{kind}");
            // Bob, a member, comes back: name, subject, history and the game are there.
            let out = again.join("bob@localhost/m", "lobby@conference.localhost/Bob");
            let text: Vec<String> = out.iter().map(crate::testing::canonical).collect();
            let all = text.join("\n");
            assert!(all.contains("affiliation='member'"), "{kind}: {all}");
            // The subject, last set by the game, is the stored one.
            assert!(
                all.contains(
                    "<{jabber:component:accept}subject>Nim: Bob (B) to move. 1:00 per move.</subject>"
                ),
                "{kind}: {all}"
            );
            assert!(all.contains("!game nim"), "{kind}: history lost: {all}");
            let out = again.send("<message type='groupchat' from='bob@localhost/m' to='lobby@conference.localhost'><body>!board</body></message>");
            let board: Vec<String> = out.iter().map(crate::testing::canonical).collect();
            assert!(board.join("").contains("pile 3: 3"), "{kind}: {board:?}");
            // The game goes on from its last move: Bob (B) is to move.
            let out = again.send("<message type='groupchat' from='bob@localhost/m' to='lobby@conference.localhost'><body>take 1 from 1</body></message>");
            let said: Vec<String> = out.iter().map(crate::testing::canonical).collect();
            assert!(
                said.join("").contains("Bob (B) plays take 1 from 1."),
                "{kind}: {said:?}"
            );
            // The archive too: its ids, contents and tombstones as they were.
            let out = again.send("<iq type='set' id='q' from='bob@localhost/m' to='lobby@conference.localhost'><query xmlns='urn:xmpp:mam:2'/></iq>");
            let results: Vec<String> = out
                .iter()
                .filter(|e| e.name() == "message")
                .map(crate::testing::canonical)
                .collect();
            assert_eq!(results[..archive_before.len()], archive_before, "{kind}");
            // It goes on: the room's own announcements (the game's public messages are archived:
            // the seat kept for Alice, who is not back, and the move with its board) and the two
            // messages Bob typed.
            let new: Vec<&String> = results[archive_before.len()..].iter().collect();
            assert_eq!(new.len(), 4, "{kind}: it goes on: {new:?}");
            assert!(
                new.iter()
                    .any(|m| m.contains("Bob (B) plays take 1 from 1.")),
                "{kind}: {new:?}"
            );
            // The invitation sent before the restart may still be declined.
            let out = again.send("<message id='d' from='carol@localhost/c' to='lobby@conference.localhost'><x xmlns='http://jabber.org/protocol/muc#user'><decline to='alice@localhost'/></x></message>");
            let said: Vec<String> = out.iter().map(crate::testing::canonical).collect();
            assert!(
                said.len() == 1
                    && said[0].contains("to='alice@localhost/pc'")
                    && said[0].contains("decline"),
                "{kind}: {said:?}"
            );
        }
    });
}

/// Finished games and ratings: kept in the store for the whole service, loaded back at start,
/// and the record ids go on from there. Another service's records stay its own.
#[test]
fn records_and_ratings_survive_a_restart() {
    let rules = || {
        crate::game::load_dir(
            std::path::Path::new("rules"),
            std::path::Path::new("assets"),
        )
        .0
    };
    let say = |h: &mut Harness, from: &str, body: &str| {
        h.send(&format!(
            "<message type='groupchat' from='{from}' to='lobby@conference.localhost'><body>{body}</body></message>"
        ))
    };
    let mut h = Harness::new();
    crate::play::install(&mut h.engine, rules());
    h.create_instant("alice@localhost/pc", "lobby@conference.localhost", "Alice");
    h.join("bob@localhost/m", "lobby@conference.localhost/Bob");
    say(&mut h, "alice@localhost/pc", "!game nim");
    say(&mut h, "alice@localhost/pc", "!sit");
    say(&mut h, "bob@localhost/m", "!sit");
    say(&mut h, "alice@localhost/pc", "!start");
    say(&mut h, "alice@localhost/pc", "take 2 from 3");
    say(&mut h, "bob@localhost/m", "!resign");
    let mut changes = std::mem::take(&mut h.stored);
    // A record of another service sharing the database.
    changes.push(Change::PutRecord(StoredRecord {
        service: "other.example".into(),
        id: 40,
        room: "x@other.example".into(),
        game: "nim".into(),
        started_ms: 0,
        ended_ms: 0,
        rated: false,
        players: vec![(None, "computer".into())],
        record: "not ours".into(),
    }));
    block(async {
        for (kind, store, _dir) in stores("games").await {
            store
                .apply(&changes)
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            let played = store
                .load_games("conference.localhost", 100)
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(played.ratings.len(), 2, "{kind}");
            assert_eq!(played.records.len(), 1, "{kind}");
            assert_eq!(played.next_id, 2, "{kind}");
            let mut again = Harness::new();
            crate::play::install(&mut again.engine, rules());
            crate::play::restore_games(&mut again.engine, played);
            again.create_instant("carol@localhost/c", "lobby@conference.localhost", "Carol");
            say(&mut again, "carol@localhost/c", "!game nim");
            let texts = |out: Vec<xmpp_parsers::minidom::Element>| -> String {
                out.iter()
                    .filter_map(|e| {
                        e.get_child("body", xmpp_parsers::ns::DEFAULT_NS)
                            .map(|b| b.text())
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            let top = texts(say(&mut again, "carol@localhost/c", "!top"));
            assert!(
                top.contains("1. Alice 1662?\n2. Bob 1338?"),
                "{kind}: {top}"
            );
            let replay = texts(say(&mut again, "carol@localhost/c", "!replay 1 1"));
            assert!(
                replay.contains("step 1 of 1: Alice (A) played take 2 from 3."),
                "{kind}: {replay}"
            );
            // The next game is #2.
            again.join("dave@localhost/d", "lobby@conference.localhost/Dave");
            say(&mut again, "carol@localhost/c", "!sit");
            say(&mut again, "dave@localhost/d", "!sit");
            say(&mut again, "carol@localhost/c", "!start");
            let end = texts(say(&mut again, "dave@localhost/d", "!resign"));
            assert!(end.contains("Recorded as game #2"), "{kind}: {end}");
            let other = store
                .load_games("other.example", 100)
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(other.records, ["not ours"], "{kind}");
            assert_eq!(other.next_id, 41, "{kind}");
        }
    });
}

/// Two instances on one PostgreSQL (skipped without one: cluster mode needs it).
async fn two_instances(name: &str) -> Option<(Store, Store)> {
    let url = std::env::var("PALAVER_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())?;
    let db = fresh_postgres_db(&url, name).await;
    let a = Store::open(&db).await.unwrap_or_else(|e| panic!("{e}"));
    let b = Store::open(&db).await.unwrap_or_else(|e| panic!("{e}"));
    Some((a.with_instance("a"), b.with_instance("b")))
}

fn epochs(list: &[(&str, i64)]) -> Epochs {
    list.iter().map(|(r, e)| ((*r).to_owned(), *e)).collect()
}

/// A claim raises the epoch; the previous holder's writes to that room are refused (and named),
/// its writes to rooms it still holds go through in the same transaction.
#[test]
fn a_write_with_a_stale_epoch_is_refused() {
    block(async {
        let Some((a, b)) = two_instances("claims_stale").await else {
            return;
        };
        let (ea, stored) = a
            .claim("r@c.localhost")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((ea, stored), (1, None));
        let (eo, _) = a
            .claim("o@c.localhost")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let lost = a
            .apply_fenced(&[room("r@c.localhost")], &epochs(&[("r@c.localhost", ea)]))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(lost.is_empty(), "{lost:?}");
        // b takes the room and finds what a stored.
        let (eb, stored) = b
            .claim("r@c.localhost")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(eb, 2);
        assert_eq!(stored.map(|s| s.jid), Some("r@c.localhost".to_owned()));
        let subject = |text: &str| Change::SetSubject {
            room: "r@c.localhost".into(),
            subject: Some(StoredSubject {
                text: text.into(),
                by: None,
                occupant_id: None,
                stamp_ms: None,
            }),
        };
        let lost = a
            .apply_fenced(
                &[subject("from a"), room("o@c.localhost")],
                &epochs(&[("r@c.localhost", ea), ("o@c.localhost", eo)]),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(lost, [("r@c.localhost".to_owned(), ea)]);
        let lost = b
            .apply_fenced(&[subject("from b")], &epochs(&[("r@c.localhost", eb)]))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(lost.is_empty(), "{lost:?}");
        let rooms = b.load_all().await.unwrap_or_else(|e| panic!("{e}"));
        let text = |jid: &str| {
            rooms
                .iter()
                .find(|r| r.jid == jid)
                .map(|r| r.subject.as_ref().map(|s| s.text.clone()))
        };
        assert_eq!(text("r@c.localhost"), Some(Some("from b".to_owned())));
        assert_eq!(
            text("o@c.localhost"),
            Some(None),
            "a's other room was written"
        );
        // A room never claimed is never written.
        let lost = a
            .apply_fenced(&[room("x@c.localhost")], &Epochs::new())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(lost, [("x@c.localhost".to_owned(), 0)]);
        assert_eq!(b.load_one("x@c.localhost").await.ok(), Some(None));
        // Who holds what, as each sees it; a release only undoes one's own claim.
        let held_a = a.held().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(held_a, epochs(&[("o@c.localhost", eo)]));
        a.release("r@c.localhost", ea)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let owners = b.owners().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(owners.get("r@c.localhost"), Some(&("b".to_owned(), eb)));
        a.release_all().await.unwrap_or_else(|e| panic!("{e}"));
        assert!(a.held().await.is_ok_and(|h| h.is_empty()));
    });
}

/// Claims racing writes: however they interleave, the store never takes a write from an
/// instance after another claimed the room, so the last subject written is the claimant's.
#[test]
fn claims_and_writes_racing_never_interleave() {
    block(async {
        let Some((a, b)) = two_instances("claims_race").await else {
            return;
        };
        let jid = "race@c.localhost";
        let (mut ea, _) = a.claim(jid).await.unwrap_or_else(|e| panic!("{e}"));
        a.apply_fenced(&[room(jid)], &epochs(&[(jid, ea)]))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for round in 0..20 {
            let set = |who: &str| Change::SetSubject {
                room: jid.into(),
                subject: Some(StoredSubject {
                    text: format!("{who} {round}"),
                    by: None,
                    occupant_id: None,
                    stamp_ms: None,
                }),
            };
            let writes = {
                let a = a.clone();
                let e = epochs(&[(jid, ea)]);
                let change = set("a");
                tokio::spawn(async move {
                    let mut refused = false;
                    for _ in 0..5 {
                        let lost = a.apply_fenced(std::slice::from_ref(&change), &e).await;
                        refused |= lost.is_ok_and(|l| !l.is_empty());
                    }
                    refused
                })
            };
            let (eb, _) = b.claim(jid).await.unwrap_or_else(|e| panic!("{e}"));
            let refused = writes.await.unwrap_or_else(|e| panic!("{e}"));
            let stored = b.load_one(jid).await.unwrap_or_else(|e| panic!("{e}"));
            let text = stored.and_then(|s| s.subject).map(|s| s.text);
            // Either a's writes all landed before the claim, or the later ones were refused
            // and nothing of a's came after it.
            b.apply_fenced(&[set("b")], &epochs(&[(jid, eb)]))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let after = a
                .apply_fenced(&[set("a late")], &epochs(&[(jid, ea)]))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                after.len(),
                1,
                "round {round}: a wrote after losing the room"
            );
            let last = b
                .load_one(jid)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .and_then(|s| s.subject)
                .map(|s| s.text);
            assert_eq!(last, Some(format!("b {round}")), "round {round}");
            assert!(
                refused || text == Some(format!("a {round}")),
                "round {round}: {text:?}"
            );
            // a takes it back for the next round.
            (ea, _) = a.claim(jid).await.unwrap_or_else(|e| panic!("{e}"));
        }
    });
}

/// In cluster mode the shutdown's ClearOccupants clears only the rooms this instance holds.
#[test]
fn clearing_occupants_keeps_the_other_instances() {
    block(async {
        let Some((a, b)) = two_instances("claims_clear").await else {
            return;
        };
        let occupant = |room: &str| Change::PutOccupant {
            room: room.into(),
            occupant: StoredOccupant {
                jid: "u@localhost/r".into(),
                nick: "u".into(),
                role: "participant".into(),
            },
        };
        for (store, jid) in [(&a, "ra@c.localhost"), (&b, "rb@c.localhost")] {
            let (e, _) = store.claim(jid).await.unwrap_or_else(|e| panic!("{e}"));
            let lost = store
                .apply_fenced(&[room(jid), occupant(jid)], &epochs(&[(jid, e)]))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(lost.is_empty());
        }
        a.apply(&[Change::ClearOccupants])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let rooms = a.load_all().await.unwrap_or_else(|e| panic!("{e}"));
        let count: Vec<(String, usize)> = rooms
            .iter()
            .map(|r| (r.jid.clone(), r.occupants.len()))
            .collect();
        assert_eq!(
            count,
            [
                ("ra@c.localhost".to_owned(), 0),
                ("rb@c.localhost".to_owned(), 1)
            ]
        );
    });
}

/// A silent instance is taken over once, by one live instance, with its connection count; one
/// that stops cleanly is taken over at the next beat.
#[tokio::test]
async fn a_silent_instance_is_taken_over_once() {
    for (kind, store, _dir) in stores("heartbeat").await {
        let (a, b, c) = (
            store.clone().with_instance("a"),
            store.clone().with_instance("b"),
            store.clone().with_instance("c"),
        );
        let long = std::time::Duration::from_secs(3600);
        a.beat(3, long)
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        b.beat(1, long)
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert!(
            c.beat(1, long)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .is_empty(),
            "{kind}"
        );
        // `a` falls silent: with no grace at all, the first to look takes it, the next does not.
        let now = std::time::Duration::ZERO;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let took = b
            .beat(1, now)
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert!(took.contains(&("a".to_owned(), 3)), "{kind}: {took:?}");
        let took = c
            .beat(1, long)
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert!(took.is_empty(), "{kind}: {took:?}");
        // `c` stops cleanly: taken over at once, whatever the grace.
        c.leave().await.unwrap_or_else(|e| panic!("{kind}: {e}"));
        let took = b
            .beat(1, long)
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(took, vec![("c".to_owned(), 1)], "{kind}");
    }
}

#[path = "tests_shared.rs"]
mod shared;
