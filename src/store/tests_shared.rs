//! What the instances of a cluster share: record ids, ratings, listings.

use super::super::shared::Listing;
use super::*;

fn listing(room: &str, persistent: bool) -> Listing {
    Listing {
        room: room.into(),
        persistent,
        public: true,
        name: room.split('@').next().unwrap_or_default().into(),
        occupants: 2,
        game: Some("nim".into()),
        playing: true,
        status: Some("Alice (A) vs Bob (B) — Alice to move".into()),
    }
}

fn rating(delta: f64) -> StoredRating {
    StoredRating {
        service: "conference.localhost".into(),
        game: "nim".into(),
        jid: "alice@localhost".into(),
        name: "Alice".into(),
        rating: 1500.0 + delta,
        deviation: 300.0,
        volatility: 0.06,
        games: 1,
        last_ms: 1_000,
        delta,
    }
}

/// Blocks of record ids never overlap, start past the ids already stored, and are per service.
#[test]
fn record_id_blocks_never_overlap() {
    block(async {
        for (kind, store, _dir) in stores("id_blocks").await {
            let (a, b) = (
                store.clone().with_instance("a"),
                store.clone().with_instance("b"),
            );
            // A record numbered 7 by a single instance before.
            store
                .apply(&[Change::PutRecord(StoredRecord {
                    service: "conference.localhost".into(),
                    id: 7,
                    room: "r@conference.localhost".into(),
                    game: "nim".into(),
                    started_ms: 0,
                    ended_ms: 0,
                    rated: false,
                    players: Vec::new(),
                    record: String::new(),
                })])
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            let first = a.reserve_ids("conference.localhost", 10).await;
            assert_eq!(first.ok(), Some((8, 17)), "{kind}");
            let second = b.reserve_ids("conference.localhost", 10).await;
            assert_eq!(second.ok(), Some((18, 27)), "{kind}");
            let other = b.reserve_ids("other.example", 5).await;
            assert_eq!(other.ok(), Some((1, 5)), "{kind}");
            // Many at once (PostgreSQL runs them in parallel): all apart.
            let tasks: Vec<_> = (0..8)
                .map(|i| {
                    let s = if i % 2 == 0 { a.clone() } else { b.clone() };
                    tokio::spawn(async move { s.reserve_ids("conference.localhost", 10).await })
                })
                .collect();
            let mut blocks = Vec::new();
            for t in tasks {
                let block = t
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
                    .unwrap_or_else(|e| panic!("{kind}: {e}"));
                assert_eq!(block.1 - block.0, 9, "{kind}");
                blocks.push(block);
            }
            blocks.sort_unstable();
            assert!(
                blocks.windows(2).all(|w| w[0].1 < w[1].0),
                "{kind}: {blocks:?}"
            );
            assert_eq!(blocks.first().map(|b| b.0), Some(28), "{kind}");
        }
    });
}

/// Two instances rating one player at once: both games count (each change is added to the
/// stored rating), and a reader asking for the versions after those it saw gets the row.
#[test]
fn ratings_changed_at_once_on_two_instances_both_count() {
    block(async {
        let Some((a, b)) = two_instances("ratings_add").await else {
            return;
        };
        let (won, lost) = (
            Change::PutRating(rating(160.0)),
            Change::PutRating(rating(-40.0)),
        );
        let none = Epochs::new();
        let (x, y) = tokio::join!(
            a.apply_fenced(std::slice::from_ref(&won), &none),
            b.apply_fenced(std::slice::from_ref(&lost), &none),
        );
        x.unwrap_or_else(|e| panic!("{e}"));
        y.unwrap_or_else(|e| panic!("{e}"));
        let (rows, version) = a
            .ratings_since("conference.localhost", 0)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(version, 2);
        assert_eq!(rows.len(), 1);
        // The first insert stores its own rating; the second adds its change to it.
        assert!((rows[0].rating - 1620.0).abs() < 1e-9, "{rows:?}");
        assert_eq!(rows[0].games, 2);
        let (rows, same) = b
            .ratings_since("conference.localhost", version)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(rows.is_empty());
        assert_eq!(same, version);
        b.apply(&[Change::PutRating(rating(10.0))])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let (rows, newer) = a
            .ratings_since("conference.localhost", version)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(newer, 3);
        assert!((rows[0].rating - 1630.0).abs() < 1e-9, "{rows:?}");
    });
}

/// Each instance sees the others' listings, not its own; a dead instance's temporary rooms are
/// unlisted when it is taken over, its persistent rooms stay listed, held by nobody.
#[test]
fn listings_are_shared_and_a_dead_instances_temporary_rooms_go() {
    block(async {
        for (kind, store, _dir) in stores("listings").await {
            let (a, b) = (
                store.clone().with_instance("a"),
                store.clone().with_instance("b"),
            );
            let (kept, temp) = (
                listing("kept@conference.localhost", true),
                listing("temp@conference.localhost", false),
            );
            a.publish(&[kept.clone(), temp.clone()], &[], true)
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            b.publish(&[listing("bee@conference.localhost", false)], &[], true)
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            let seen = b.listings().await.unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(seen, [kept.clone(), temp.clone()], "{kind}");
            let seen = a.listings().await.unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(seen.len(), 1, "{kind}");
            // A room gone from a is unlisted; one b took over since is not a's to unlist.
            a.publish(&[], &["temp@conference.localhost".into()], false)
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            a.publish(&[], &["bee@conference.localhost".into()], false)
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            let seen = b.listings().await.unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(seen, std::slice::from_ref(&kept), "{kind}");
            assert_eq!(a.listings().await.map(|l| l.len()).ok(), Some(1), "{kind}");
            // a publishes a temporary room again, then dies; b takes it over.
            a.publish(std::slice::from_ref(&temp), &[], false)
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            a.beat(1, std::time::Duration::from_secs(3600))
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            a.leave().await.unwrap_or_else(|e| panic!("{kind}: {e}"));
            let took = b
                .beat(1, std::time::Duration::from_secs(3600))
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(took, [("a".to_owned(), 1)], "{kind}");
            let seen = b.listings().await.unwrap_or_else(|e| panic!("{kind}: {e}"));
            let nobodys = Listing {
                occupants: 0,
                ..kept.clone()
            };
            assert_eq!(seen, [nobodys], "{kind}");
            // Stored rooms nobody lists are found for listing.
            store
                .apply(&[room("old@conference.localhost")])
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            let unlisted = b.unlisted().await.unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(
                unlisted.iter().map(|(j, _)| j.as_str()).collect::<Vec<_>>(),
                ["old@conference.localhost"],
                "{kind}"
            );
        }
    });
}

/// Slots handed to an instance are read once, and only those handed before the read.
#[test]
fn freed_slots_are_taken_once() {
    block(async {
        for (kind, store, _dir) in stores("freed_slots").await {
            let (a, b) = (
                store.clone().with_instance("a"),
                store.clone().with_instance("b"),
            );
            let long = std::time::Duration::from_secs(3600);
            a.beat(2, long)
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            b.beat(1, long)
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            let alive = a
                .alive(long)
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(
                alive.into_iter().collect::<Vec<_>>(),
                [("b".to_owned(), 1)],
                "{kind}"
            );
            assert_eq!(b.freed_slots().await.ok(), Some(0), "{kind}");
            a.hand_slots("b", 1)
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            a.hand_slots("b", 2)
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            // A beat keeps what was handed.
            b.beat(1, long)
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(b.freed_slots().await.ok(), Some(3), "{kind}");
            assert_eq!(b.freed_slots().await.ok(), Some(0), "{kind}");
            assert_eq!(a.freed_slots().await.ok(), Some(0), "{kind}");
        }
    });
}
