//! Persistence: persistent rooms and their games in SQLite (embedded, the default) or
//! PostgreSQL, through one code path (sqlx's Any driver, runtime-checked queries, migrations
//! from `migrations/` embedded at build time).
//!
//! The engine never waits for the database: [`capture`] turns each tick's changes into
//! [`Change`]s, the service hands them to the store task ([`spawn`]) as one batch with a ticket,
//! and holds that tick's stanzas until the task reports the ticket committed, so that nothing is
//! acknowledged to a client before it is on disk.

pub mod capture;
pub mod claims;
pub mod shared;

use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Row};
use tokio::sync::mpsc;
use tracing::{debug, error};

/// The `rooms` columns a stored room is read from.
const ROOM_COLUMNS: &str = "SELECT jid, config, subject, subject_by, subject_occupant_id, \
     subject_stamp_ms, game FROM rooms";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// One line for the operator.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {url}: {message}")]
    Open { url: String, message: String },
    #[error("the database {url} {message}")]
    Schema { url: String, message: String },
    #[error("database error: {0}")]
    Query(String),
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The URL as logs may show it: a password becomes `***`.
fn shown(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((user, host)) if user.contains(':') => {
            let name = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{name}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

/// A stored room, as plain data (the engine owns its shape: config and game are RON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRoom {
    pub jid: String,
    pub config: String,
    pub subject: Option<StoredSubject>,
    pub affiliations: Vec<StoredAffiliation>,
    pub history: Vec<StoredMessage>,
    pub game: Option<String>,
    pub requests: Vec<StoredRequest>,
    pub invitations: Vec<StoredInvitation>,
    pub occupants: Vec<StoredOccupant>,
    pub archive: Vec<StoredArchived>,
}

/// A session that was in a persistent room when the store last heard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOccupant {
    /// The session's real full JID.
    pub jid: String,
    pub nick: String,
    pub role: String,
}

/// One archived message (XEP-0313).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredArchived {
    pub seq: i64,
    /// The stanza-id.
    pub id: String,
    pub stamp_ms: i64,
    pub publisher: String,
    pub occupant_id: String,
    pub spectator: bool,
    pub retracted: bool,
    pub xml: String,
}

/// A registration waiting for approval (§9.9): the user, the nickname, the submitted form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRequest {
    pub jid: String,
    pub nick: String,
    pub form: String,
}

/// An invitation the room sent (§7.8.2), oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredInvitation {
    pub invitee: String,
    pub inviter: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSubject {
    pub text: String,
    pub by: Option<String>,
    pub occupant_id: Option<String>,
    pub stamp_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAffiliation {
    pub jid: String,
    pub affiliation: String,
    pub nick: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    pub seq: i64,
    pub stamp_ms: i64,
    pub spectator: bool,
    pub xml: String,
}

/// A finished game (the record itself is RON, the engine's to shape).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub service: String,
    pub id: i64,
    pub room: String,
    pub game: String,
    pub started_ms: i64,
    pub ended_ms: i64,
    pub rated: bool,
    /// `(bare JID, nick)` by seat; no JID for the computer.
    pub players: Vec<(Option<String>, String)>,
    pub record: String,
}

/// A player's rating in one game.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRating {
    pub service: String,
    pub game: String,
    pub jid: String,
    pub name: String,
    pub rating: f64,
    pub deviation: f64,
    pub volatility: f64,
    pub games: i64,
    pub last_ms: i64,
    /// The change the game made (cluster mode adds it to the stored rating, so that games
    /// ending on two instances at once both count); 0 when read from the store.
    pub delta: f64,
}

/// What the game rooms keep service-wide: every rating, the most recent records (oldest
/// first) and the next record id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredGames {
    pub ratings: Vec<StoredRating>,
    pub records: Vec<String>,
    pub next_id: u64,
}

/// One change to the stored state; a batch of them commits in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    PutRoom {
        jid: String,
        config: String,
    },
    DeleteRoom {
        jid: String,
    },
    /// Replaces the room's whole affiliation list.
    SetAffiliations {
        room: String,
        list: Vec<StoredAffiliation>,
    },
    SetSubject {
        room: String,
        subject: Option<StoredSubject>,
    },
    /// Adds messages and forgets those numbered below `keep_from`.
    AppendHistory {
        room: String,
        messages: Vec<StoredMessage>,
        keep_from: i64,
    },
    SetGame {
        room: String,
        game: Option<String>,
    },
    /// Replaces the room's registrations waiting for approval.
    SetRequests {
        room: String,
        list: Vec<StoredRequest>,
    },
    /// Replaces the room's remembered invitations.
    SetInvitations {
        room: String,
        list: Vec<StoredInvitation>,
    },
    /// A session entered the room, or changed its nick or role.
    PutOccupant {
        room: String,
        occupant: StoredOccupant,
    },
    /// A session left the room.
    DeleteOccupant {
        room: String,
        jid: String,
    },
    /// Every occupant of every room was told the service stops (§11.2's 332).
    ClearOccupants,
    /// A finished game, kept for good.
    PutRecord(StoredRecord),
    /// A player's new rating in a game.
    PutRating(StoredRating),
    /// Adds archived messages and forgets those numbered below `keep_from`.
    AppendArchive {
        room: String,
        entries: Vec<StoredArchived>,
        keep_from: i64,
    },
    /// An archived message became a tombstone (XEP-0424, XEP-0425).
    RetractArchived {
        room: String,
        seq: i64,
        xml: String,
    },
    /// A history message became a tombstone.
    ReplaceHistory {
        room: String,
        seq: i64,
        xml: String,
    },
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    url: String,
    /// This instance's id in cluster mode (several instances, one PostgreSQL): room writes are
    /// then checked against the room's claim. `None`: the only instance, nothing is checked.
    instance: Option<String>,
}

/// `palaver.db`, `sqlite:palaver.db`, `sqlite:///var/lib/palaver/palaver.db` or
/// `postgres://user@host/db`; files are created when missing.
fn normalize(url: &str) -> String {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return url.to_owned();
    }
    let mut u = if url.starts_with("sqlite:") {
        url.to_owned()
    } else {
        format!("sqlite://{url}")
    };
    if !u.contains("mode=") {
        u.push(if u.contains('?') { '&' } else { '?' });
        u.push_str("mode=rwc");
    }
    u
}

impl Store {
    /// Connects and brings the schema up to date; refuses a schema newer than this binary.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        install_default_drivers();
        let full = normalize(url);
        let sqlite = full.starts_with("sqlite:");
        let pool = AnyPoolOptions::new()
            // SQLite allows one writer; one connection keeps transactions in order.
            .max_connections(if sqlite { 1 } else { 4 })
            .acquire_timeout(Duration::from_secs(5))
            .connect(&full)
            .await
            .map_err(|e| StoreError::Open {
                url: shown(url),
                message: one_line(&e.to_string()),
            })?;
        MIGRATOR.run(&pool).await.map_err(|e| {
            let message = match &e {
                sqlx::migrate::MigrateError::VersionMissing(v) => format!(
                    "has schema version {v}, newer than this palaver knows ({}): upgrade palaver",
                    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
                ),
                other => format!("could not be migrated: {}", one_line(&other.to_string())),
            };
            StoreError::Schema {
                url: shown(url),
                message,
            }
        })?;
        Ok(Store {
            pool,
            url: shown(url),
            instance: None,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every stored room with its lists, subject, history and game.
    pub async fn load_all(&self) -> Result<Vec<StoredRoom>, StoreError> {
        let q = |e: sqlx::Error| StoreError::Query(one_line(&e.to_string()));
        let rows = sqlx::query(&format!("{ROOM_COLUMNS} ORDER BY jid"))
            .fetch_all(&self.pool)
            .await
            .map_err(q)?;
        let mut rooms = Vec::new();
        for row in rows {
            rooms.push(self.load_room(row).await?);
        }
        Ok(rooms)
    }

    /// One stored room, if the store holds it.
    pub async fn load_one(&self, jid: &str) -> Result<Option<StoredRoom>, StoreError> {
        let q = |e: sqlx::Error| StoreError::Query(one_line(&e.to_string()));
        let row = sqlx::query(&format!("{ROOM_COLUMNS} WHERE jid = $1"))
            .bind(jid.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(q)?;
        match row {
            Some(row) => Ok(Some(self.load_room(row).await?)),
            None => Ok(None),
        }
    }

    /// The room of a `rooms` row, with its lists, history and archive.
    async fn load_room(&self, row: sqlx::any::AnyRow) -> Result<StoredRoom, StoreError> {
        let q = |e: sqlx::Error| StoreError::Query(one_line(&e.to_string()));
        let jid: String = row.try_get("jid").map_err(q)?;
        let subject: Option<String> = row.try_get("subject").map_err(q)?;
        let by: Option<String> = row.try_get("subject_by").map_err(q)?;
        let occupant_id: Option<String> = row.try_get("subject_occupant_id").map_err(q)?;
        let stamp_ms: Option<i64> = row.try_get("subject_stamp_ms").map_err(q)?;
        let affiliations = sqlx::query(
            "SELECT jid, affiliation, nick, reason FROM affiliations WHERE room = $1 ORDER BY jid",
        )
        .bind(jid.clone())
        .fetch_all(&self.pool)
        .await
        .map_err(q)?
        .into_iter()
        .map(|r| {
            Ok(StoredAffiliation {
                jid: r.try_get("jid")?,
                affiliation: r.try_get("affiliation")?,
                nick: r.try_get("nick")?,
                reason: r.try_get("reason")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(q)?;
        let history = sqlx::query(
            "SELECT seq, stamp_ms, spectator, xml FROM history WHERE room = $1 ORDER BY seq",
        )
        .bind(jid.clone())
        .fetch_all(&self.pool)
        .await
        .map_err(q)?
        .into_iter()
        .map(|r| {
            Ok(StoredMessage {
                seq: r.try_get("seq")?,
                stamp_ms: r.try_get("stamp_ms")?,
                spectator: r.try_get::<i32, _>("spectator")? != 0,
                xml: r.try_get("xml")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(q)?;
        let requests = sqlx::query(
            "SELECT jid, nick, form FROM registration_requests WHERE room = $1 ORDER BY jid",
        )
        .bind(jid.clone())
        .fetch_all(&self.pool)
        .await
        .map_err(q)?
        .into_iter()
        .map(|r| {
            Ok(StoredRequest {
                jid: r.try_get("jid")?,
                nick: r.try_get("nick")?,
                form: r.try_get("form")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(q)?;
        let invitations =
            sqlx::query("SELECT invitee, inviter FROM invitations WHERE room = $1 ORDER BY seq")
                .bind(jid.clone())
                .fetch_all(&self.pool)
                .await
                .map_err(q)?
                .into_iter()
                .map(|r| {
                    Ok(StoredInvitation {
                        invitee: r.try_get("invitee")?,
                        inviter: r.try_get("inviter")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()
                .map_err(q)?;
        let occupants =
            sqlx::query("SELECT jid, nick, role FROM occupants WHERE room = $1 ORDER BY jid")
                .bind(jid.clone())
                .fetch_all(&self.pool)
                .await
                .map_err(q)?
                .into_iter()
                .map(|r| {
                    Ok(StoredOccupant {
                        jid: r.try_get("jid")?,
                        nick: r.try_get("nick")?,
                        role: r.try_get("role")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()
                .map_err(q)?;
        let archive = sqlx::query(
            "SELECT seq, id, stamp_ms, publisher, occupant_id, spectator, retracted, xml \
             FROM archive WHERE room = $1 ORDER BY seq",
        )
        .bind(jid.clone())
        .fetch_all(&self.pool)
        .await
        .map_err(q)?
        .into_iter()
        .map(|r| {
            Ok(StoredArchived {
                seq: r.try_get("seq")?,
                id: r.try_get("id")?,
                stamp_ms: r.try_get("stamp_ms")?,
                publisher: r.try_get("publisher")?,
                occupant_id: r.try_get("occupant_id")?,
                spectator: r.try_get::<i32, _>("spectator")? != 0,
                retracted: r.try_get::<i32, _>("retracted")? != 0,
                xml: r.try_get("xml")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(q)?;
        Ok(StoredRoom {
            config: row.try_get("config").map_err(q)?,
            subject: subject.map(|text| StoredSubject {
                text,
                by,
                occupant_id,
                stamp_ms,
            }),
            game: row.try_get("game").map_err(q)?,
            jid,
            affiliations,
            history,
            requests,
            invitations,
            occupants,
            archive,
        })
    }

    /// The game rooms' service-wide state of `service`: every rating and the `recent` latest
    /// records.
    pub async fn load_games(
        &self,
        service: &str,
        recent: usize,
    ) -> Result<StoredGames, StoreError> {
        let q = |e: sqlx::Error| StoreError::Query(one_line(&e.to_string()));
        let ratings = sqlx::query(
            "SELECT game, jid, name, rating, deviation, volatility, games, last_ms \
             FROM ratings WHERE service = $1",
        )
        .bind(service.to_owned())
        .fetch_all(&self.pool)
        .await
        .map_err(q)?
        .into_iter()
        .map(|r| {
            Ok(StoredRating {
                service: service.to_owned(),
                game: r.try_get("game")?,
                jid: r.try_get("jid")?,
                name: r.try_get("name")?,
                rating: r.try_get("rating")?,
                deviation: r.try_get("deviation")?,
                volatility: r.try_get("volatility")?,
                games: r.try_get("games")?,
                last_ms: r.try_get("last_ms")?,
                delta: 0.0,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(q)?;
        let mut records: Vec<(i64, String)> = sqlx::query(
            "SELECT id, record FROM game_records WHERE service = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(service.to_owned())
        .bind(i64::try_from(recent).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(q)?
        .into_iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("record")?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(q)?;
        records.reverse();
        let next_id = sqlx::query("SELECT MAX(id) AS top FROM game_records WHERE service = $1")
            .bind(service.to_owned())
            .fetch_one(&self.pool)
            .await
            .map_err(q)?
            .try_get::<Option<i64>, _>("top")
            .map_err(q)?
            .map_or(1, |top| top.max(0) as u64 + 1);
        Ok(StoredGames {
            ratings,
            records: records.into_iter().map(|(_, r)| r).collect(),
            next_id,
        })
    }

    /// The service's secret key, made and stored on the first start.
    pub async fn service_key(&self) -> Result<[u8; 32], StoreError> {
        let q = |e: sqlx::Error| StoreError::Query(one_line(&e.to_string()));
        let row = sqlx::query("SELECT value FROM service_state WHERE name = 'key'")
            .fetch_optional(&self.pool)
            .await
            .map_err(q)?;
        if let Some(row) = row {
            let value: String = row.try_get("value").map_err(q)?;
            if let Some(key) = unhex(&value) {
                return Ok(key);
            }
            error!("the stored service key is unreadable; a new one is made");
        }
        let key = crate::muc::occupant_id::ServiceKey::random().0;
        sqlx::query(
            "INSERT INTO service_state (name, value) VALUES ('key', $1) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(crate::muc::occupant_id::hex(&key))
        .execute(&self.pool)
        .await
        .map_err(q)?;
        Ok(key)
    }

    /// Applies `changes` in one transaction: all or nothing.
    pub async fn apply(&self, changes: &[Change]) -> Result<(), StoreError> {
        self.apply_fenced(changes, &Epochs::new()).await.map(|_| ())
    }

    /// Applies `changes` in one transaction. In cluster mode each room's changes are written
    /// only if this instance still holds the room at the epoch `epochs` gives: the rooms it no
    /// longer holds are returned (with the epoch it thought it had), their changes left out.
    pub async fn apply_fenced(
        &self,
        changes: &[Change],
        epochs: &Epochs,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let q = |e: sqlx::Error| StoreError::Query(one_line(&e.to_string()));
        let mut tx = self.pool.begin().await.map_err(q)?;
        let stale = match &self.instance {
            Some(me) => claims::fence(&mut tx, me, changes, epochs).await?,
            None => Vec::new(),
        };
        for change in changes {
            if change
                .room()
                .is_some_and(|room| stale.iter().any(|(r, _)| r == room))
            {
                continue;
            }
            match change {
                Change::PutRoom { jid, config } => {
                    sqlx::query(
                        "INSERT INTO rooms (jid, config) VALUES ($1, $2) \
                         ON CONFLICT (jid) DO UPDATE SET config = excluded.config",
                    )
                    .bind(jid.clone())
                    .bind(config.clone())
                    .execute(&mut *tx)
                    .await
                    .map_err(q)?;
                }
                Change::DeleteRoom { jid } => {
                    for sql in [
                        "DELETE FROM history WHERE room = $1",
                        "DELETE FROM affiliations WHERE room = $1",
                        "DELETE FROM registration_requests WHERE room = $1",
                        "DELETE FROM invitations WHERE room = $1",
                        "DELETE FROM occupants WHERE room = $1",
                        "DELETE FROM archive WHERE room = $1",
                        "DELETE FROM rooms WHERE jid = $1",
                    ] {
                        sqlx::query(sql)
                            .bind(jid.clone())
                            .execute(&mut *tx)
                            .await
                            .map_err(q)?;
                    }
                }
                Change::SetAffiliations { room, list } => {
                    sqlx::query("DELETE FROM affiliations WHERE room = $1")
                        .bind(room.clone())
                        .execute(&mut *tx)
                        .await
                        .map_err(q)?;
                    for a in list {
                        sqlx::query(
                            "INSERT INTO affiliations (room, jid, affiliation, nick, reason) \
                             VALUES ($1, $2, $3, $4, $5)",
                        )
                        .bind(room.clone())
                        .bind(a.jid.clone())
                        .bind(a.affiliation.clone())
                        .bind(a.nick.clone())
                        .bind(a.reason.clone())
                        .execute(&mut *tx)
                        .await
                        .map_err(q)?;
                    }
                }
                Change::SetSubject { room, subject } => {
                    sqlx::query(
                        "UPDATE rooms SET subject = $2, subject_by = $3, subject_occupant_id = $4, \
                         subject_stamp_ms = $5 WHERE jid = $1",
                    )
                    .bind(room.clone())
                    .bind(subject.as_ref().map(|s| s.text.clone()))
                    .bind(subject.as_ref().and_then(|s| s.by.clone()))
                    .bind(subject.as_ref().and_then(|s| s.occupant_id.clone()))
                    .bind(subject.as_ref().and_then(|s| s.stamp_ms))
                    .execute(&mut *tx)
                    .await
                    .map_err(q)?;
                }
                Change::AppendHistory {
                    room,
                    messages,
                    keep_from,
                } => {
                    for m in messages {
                        sqlx::query(
                            "INSERT INTO history (room, seq, stamp_ms, spectator, xml) \
                             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (room, seq) DO NOTHING",
                        )
                        .bind(room.clone())
                        .bind(m.seq)
                        .bind(m.stamp_ms)
                        .bind(i32::from(m.spectator))
                        .bind(m.xml.clone())
                        .execute(&mut *tx)
                        .await
                        .map_err(q)?;
                    }
                    sqlx::query("DELETE FROM history WHERE room = $1 AND seq < $2")
                        .bind(room.clone())
                        .bind(*keep_from)
                        .execute(&mut *tx)
                        .await
                        .map_err(q)?;
                }
                Change::SetGame { room, game } => {
                    sqlx::query("UPDATE rooms SET game = $2 WHERE jid = $1")
                        .bind(room.clone())
                        .bind(game.clone())
                        .execute(&mut *tx)
                        .await
                        .map_err(q)?;
                }
                Change::SetRequests { room, list } => {
                    sqlx::query("DELETE FROM registration_requests WHERE room = $1")
                        .bind(room.clone())
                        .execute(&mut *tx)
                        .await
                        .map_err(q)?;
                    for r in list {
                        sqlx::query(
                            "INSERT INTO registration_requests (room, jid, nick, form) \
                             VALUES ($1, $2, $3, $4)",
                        )
                        .bind(room.clone())
                        .bind(r.jid.clone())
                        .bind(r.nick.clone())
                        .bind(r.form.clone())
                        .execute(&mut *tx)
                        .await
                        .map_err(q)?;
                    }
                }
                Change::AppendArchive {
                    room,
                    entries,
                    keep_from,
                } => {
                    for e in entries {
                        sqlx::query(
                            "INSERT INTO archive (room, seq, id, stamp_ms, publisher, occupant_id, \
                             spectator, retracted, xml) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                             ON CONFLICT (room, seq) DO NOTHING",
                        )
                        .bind(room.clone())
                        .bind(e.seq)
                        .bind(e.id.clone())
                        .bind(e.stamp_ms)
                        .bind(e.publisher.clone())
                        .bind(e.occupant_id.clone())
                        .bind(i32::from(e.spectator))
                        .bind(i32::from(e.retracted))
                        .bind(e.xml.clone())
                        .execute(&mut *tx)
                        .await
                        .map_err(q)?;
                    }
                    sqlx::query("DELETE FROM archive WHERE room = $1 AND seq < $2")
                        .bind(room.clone())
                        .bind(*keep_from)
                        .execute(&mut *tx)
                        .await
                        .map_err(q)?;
                }
                Change::RetractArchived { room, seq, xml } => {
                    sqlx::query(
                        "UPDATE archive SET xml = $3, retracted = 1 WHERE room = $1 AND seq = $2",
                    )
                    .bind(room.clone())
                    .bind(*seq)
                    .bind(xml.clone())
                    .execute(&mut *tx)
                    .await
                    .map_err(q)?;
                }
                Change::ReplaceHistory { room, seq, xml } => {
                    sqlx::query("UPDATE history SET xml = $3 WHERE room = $1 AND seq = $2")
                        .bind(room.clone())
                        .bind(*seq)
                        .bind(xml.clone())
                        .execute(&mut *tx)
                        .await
                        .map_err(q)?;
                }
                Change::SetInvitations { room, list } => {
                    sqlx::query("DELETE FROM invitations WHERE room = $1")
                        .bind(room.clone())
                        .execute(&mut *tx)
                        .await
                        .map_err(q)?;
                    for (seq, i) in list.iter().enumerate() {
                        sqlx::query(
                            "INSERT INTO invitations (room, seq, invitee, inviter) \
                             VALUES ($1, $2, $3, $4)",
                        )
                        .bind(room.clone())
                        .bind(seq as i64)
                        .bind(i.invitee.clone())
                        .bind(i.inviter.clone())
                        .execute(&mut *tx)
                        .await
                        .map_err(q)?;
                    }
                }
                Change::PutOccupant { room, occupant } => {
                    sqlx::query(
                        "INSERT INTO occupants (room, jid, nick, role) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (room, jid) DO UPDATE SET nick = excluded.nick, \
                         role = excluded.role",
                    )
                    .bind(room.clone())
                    .bind(occupant.jid.clone())
                    .bind(occupant.nick.clone())
                    .bind(occupant.role.clone())
                    .execute(&mut *tx)
                    .await
                    .map_err(q)?;
                }
                Change::DeleteOccupant { room, jid } => {
                    sqlx::query("DELETE FROM occupants WHERE room = $1 AND jid = $2")
                        .bind(room.clone())
                        .bind(jid.clone())
                        .execute(&mut *tx)
                        .await
                        .map_err(q)?;
                }
                Change::ClearOccupants => match &self.instance {
                    // Only the rooms this instance holds: the others' occupants are theirs.
                    Some(me) => {
                        sqlx::query(
                            "DELETE FROM occupants WHERE room IN \
                             (SELECT room FROM claims WHERE owner = $1)",
                        )
                        .bind(me.clone())
                        .execute(&mut *tx)
                        .await
                        .map_err(q)?;
                    }
                    None => {
                        sqlx::query("DELETE FROM occupants")
                            .execute(&mut *tx)
                            .await
                            .map_err(q)?;
                    }
                },
                Change::PutRecord(r) => {
                    sqlx::query(
                        "INSERT INTO game_records \
                         (service, id, room, game, started_ms, ended_ms, rated, record) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                         ON CONFLICT (service, id) DO NOTHING",
                    )
                    .bind(r.service.clone())
                    .bind(r.id)
                    .bind(r.room.clone())
                    .bind(r.game.clone())
                    .bind(r.started_ms)
                    .bind(r.ended_ms)
                    .bind(i32::from(r.rated))
                    .bind(r.record.clone())
                    .execute(&mut *tx)
                    .await
                    .map_err(q)?;
                    for (seat, (jid, nick)) in r.players.iter().enumerate() {
                        sqlx::query(
                            "INSERT INTO game_record_players (service, record, seat, jid, nick) \
                             VALUES ($1, $2, $3, $4, $5) \
                             ON CONFLICT (service, record, seat) DO NOTHING",
                        )
                        .bind(r.service.clone())
                        .bind(r.id)
                        .bind(i32::try_from(seat).unwrap_or(i32::MAX))
                        .bind(jid.clone())
                        .bind(nick.clone())
                        .execute(&mut *tx)
                        .await
                        .map_err(q)?;
                    }
                }
                Change::PutRating(r) if self.instance.is_some() => {
                    shared::add_rating(&mut tx, r).await?;
                }
                Change::PutRating(r) => {
                    sqlx::query(
                        "INSERT INTO ratings \
                         (service, game, jid, name, rating, deviation, volatility, games, last_ms) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                         ON CONFLICT (service, game, jid) DO UPDATE SET name = excluded.name, \
                         rating = excluded.rating, deviation = excluded.deviation, \
                         volatility = excluded.volatility, games = excluded.games, \
                         last_ms = excluded.last_ms",
                    )
                    .bind(r.service.clone())
                    .bind(r.game.clone())
                    .bind(r.jid.clone())
                    .bind(r.name.clone())
                    .bind(r.rating)
                    .bind(r.deviation)
                    .bind(r.volatility)
                    .bind(r.games)
                    .bind(r.last_ms)
                    .execute(&mut *tx)
                    .await
                    .map_err(q)?;
                }
            }
        }
        tx.commit().await.map_err(q)?;
        Ok(stale)
    }
}

/// The epoch at which the service holds each room it writes (cluster mode).
pub type Epochs = std::collections::HashMap<String, i64>;

impl Change {
    /// The room this change is to, if it is to one room.
    pub fn room(&self) -> Option<&str> {
        match self {
            Change::PutRoom { jid, .. } | Change::DeleteRoom { jid } => Some(jid),
            Change::SetAffiliations { room, .. }
            | Change::SetSubject { room, .. }
            | Change::AppendHistory { room, .. }
            | Change::SetGame { room, .. }
            | Change::SetRequests { room, .. }
            | Change::SetInvitations { room, .. }
            | Change::PutOccupant { room, .. }
            | Change::DeleteOccupant { room, .. }
            | Change::AppendArchive { room, .. }
            | Change::RetractArchived { room, .. }
            | Change::ReplaceHistory { room, .. } => Some(room),
            Change::ClearOccupants | Change::PutRecord(_) | Change::PutRating(_) => None,
        }
    }
}

/// 32 bytes from 64 hexadecimal digits.
fn unhex(s: &str) -> Option<[u8; 32]> {
    let s = s.trim();
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// A tick's changes and the ticket its held stanzas wait on.
#[derive(Debug, Default)]
pub struct Batch {
    pub changes: Vec<Change>,
    pub ticket: u64,
    /// Cluster mode: the epoch at which the service holds each room the changes touch.
    pub epochs: Epochs,
}

/// The store task's report: every ticket up to `ticket` is done (`ok` false: it failed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    pub ticket: u64,
    pub ok: bool,
    /// Cluster mode: rooms whose changes were refused because another instance claimed them
    /// (with the epoch this instance held them at).
    pub lost: Vec<(String, i64)>,
}

/// The engine's side of the store task.
#[derive(Debug, Clone)]
pub struct StoreHandle {
    tx: mpsc::UnboundedSender<Batch>,
}

impl StoreHandle {
    /// Never blocks: the task takes whatever is queued into its next transaction.
    pub fn submit(&self, batch: Batch) -> bool {
        self.tx.send(batch).is_ok()
    }
}

/// How long the store task waits before each new attempt at a batch that failed alone.
const RETRY_DELAYS_MS: [u64; 3] = [50, 250, 1000];

/// Whether `batch` may join a transaction holding `epochs`: no room at two epochs in one.
fn agrees(epochs: &Epochs, batch: &Batch) -> bool {
    batch
        .epochs
        .iter()
        .all(|(room, e)| epochs.get(room).is_none_or(|mine| mine == e))
}

/// Starts the store task. Dropping every handle lets it commit what is queued and end.
pub fn spawn(
    store: Store,
) -> (
    StoreHandle,
    mpsc::UnboundedReceiver<Committed>,
    tokio::task::JoinHandle<()>,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Batch>();
    let (done_tx, done_rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let mut next: Option<Batch> = None;
        loop {
            let first = match next.take() {
                Some(b) => b,
                None => match rx.recv().await {
                    Some(b) => b,
                    None => break,
                },
            };
            let mut epochs = first.epochs.clone();
            let mut batches = vec![first];
            while let Ok(more) = rx.try_recv() {
                if !agrees(&epochs, &more) {
                    // A room claimed again since: its older changes go in a transaction of
                    // their own, so each is checked against the epoch it was made under.
                    next = Some(more);
                    break;
                }
                epochs.extend(more.epochs.iter().map(|(r, e)| (r.clone(), *e)));
                batches.push(more);
            }
            let changes: Vec<Change> = batches.iter().flat_map(|b| b.changes.clone()).collect();
            if let Ok(lost) = store.apply_fenced(&changes, &epochs).await {
                debug!(
                    changes = changes.len(),
                    batches = batches.len(),
                    "committed"
                );
                let last = batches.last().map_or(0, |b| b.ticket);
                let _ = done_tx.send(Committed {
                    ticket: last,
                    ok: true,
                    lost,
                });
                continue;
            }
            // One bad batch must not sink the others: retry them one by one, in order, each a
            // few times (a lost connection or a busy database passes), since a batch given up
            // releases stanzas that tell clients of changes the store does not hold.
            for batch in batches {
                let mut result = store.apply_fenced(&batch.changes, &batch.epochs).await;
                for delay in RETRY_DELAYS_MS {
                    if result.is_ok() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                    result = store.apply_fenced(&batch.changes, &batch.epochs).await;
                }
                if let Err(e) = &result {
                    error!(
                        ticket = batch.ticket,
                        "the store could not commit a change: {e}"
                    );
                }
                let _ = done_tx.send(Committed {
                    ticket: batch.ticket,
                    ok: result.is_ok(),
                    lost: result.unwrap_or_default(),
                });
            }
        }
    });
    (StoreHandle { tx }, done_rx, task)
}

#[cfg(test)]
pub(crate) mod tests;
