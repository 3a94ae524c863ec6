//! What the instances of a cluster share beyond room claims, so that service-wide questions get
//! one answer whichever instance the server sends them to: the rooms each instance lists
//! (`listings`), game record ids handed out in blocks, and ratings changed by adding each
//! game's change in the store (two instances rating one player at once both count).

use sqlx::Row;

use super::{Store, StoreError, StoredRating, one_line};

fn q(e: sqlx::Error) -> StoreError {
    StoreError::Query(one_line(&e.to_string()))
}

/// One room as the service-wide answers show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub room: String,
    pub persistent: bool,
    /// Public and not locked.
    pub public: bool,
    pub name: String,
    pub occupants: i64,
    pub game: Option<String>,
    pub playing: bool,
    /// A game in progress as the running-games listing shows it (players and whose turn).
    pub status: Option<String>,
}

const LISTING_COLUMNS: &str =
    "SELECT room, persistent, public, name, occupants, game, playing, status FROM listings";

fn listing(r: sqlx::any::AnyRow) -> Result<Listing, sqlx::Error> {
    Ok(Listing {
        room: r.try_get("room")?,
        persistent: r.try_get::<i32, _>("persistent")? != 0,
        public: r.try_get::<i32, _>("public")? != 0,
        name: r.try_get("name")?,
        occupants: r.try_get("occupants")?,
        game: r.try_get("game")?,
        playing: r.try_get::<i32, _>("playing")? != 0,
        status: r.try_get("status")?,
    })
}

impl Store {
    /// Writes this instance's listing changes: `put` rows become its own, `gone` rows of its own
    /// are removed (a row another instance took since is left alone). `whole`: `put` is every
    /// room this instance holds, and its other rows (from before a restart or a failed write)
    /// are unlisted as a dead instance's are.
    pub async fn publish(
        &self,
        put: &[Listing],
        gone: &[String],
        whole: bool,
    ) -> Result<(), StoreError> {
        let Some(me) = &self.instance else {
            return Ok(());
        };
        let mut tx = self.pool.begin().await.map_err(q)?;
        if whole {
            unlist(&mut tx, me).await?;
        }
        for l in put {
            sqlx::query(
                "INSERT INTO listings (room, owner, persistent, public, name, occupants, game, \
                 playing, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (room) DO UPDATE SET owner = excluded.owner, \
                 persistent = excluded.persistent, public = excluded.public, \
                 name = excluded.name, occupants = excluded.occupants, game = excluded.game, \
                 playing = excluded.playing, status = excluded.status",
            )
            .bind(l.room.clone())
            .bind(me.clone())
            .bind(i32::from(l.persistent))
            .bind(i32::from(l.public))
            .bind(l.name.clone())
            .bind(l.occupants)
            .bind(l.game.clone())
            .bind(i32::from(l.playing))
            .bind(l.status.clone())
            .execute(&mut *tx)
            .await
            .map_err(q)?;
        }
        for room in gone {
            sqlx::query("DELETE FROM listings WHERE room = $1 AND owner = $2")
                .bind(room.clone())
                .bind(me.clone())
                .execute(&mut *tx)
                .await
                .map_err(q)?;
        }
        tx.commit().await.map_err(q)
    }

    /// Every listed room but this instance's own, by JID.
    pub async fn listings(&self) -> Result<Vec<Listing>, StoreError> {
        let me = self.instance.clone().unwrap_or_default();
        sqlx::query(&format!(
            "{LISTING_COLUMNS} WHERE owner <> $1 ORDER BY room"
        ))
        .bind(me)
        .fetch_all(&self.pool)
        .await
        .map_err(q)?
        .into_iter()
        .map(listing)
        .collect::<Result<Vec<_>, _>>()
        .map_err(q)
    }

    /// Stored rooms that no instance lists (stored before listings existed), with their
    /// configurations, for [`Store::list_unheld`].
    pub async fn unlisted(&self) -> Result<Vec<(String, String)>, StoreError> {
        sqlx::query(
            "SELECT jid, config FROM rooms WHERE NOT EXISTS \
             (SELECT 1 FROM listings WHERE listings.room = rooms.jid) ORDER BY jid",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(q)?
        .into_iter()
        .map(|r| Ok((r.try_get("jid")?, r.try_get("config")?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(q)
    }

    /// Lists persistent rooms nobody holds (owner ''), unless a row for them appeared since.
    pub async fn list_unheld(&self, rooms: &[Listing]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(q)?;
        for l in rooms {
            sqlx::query(
                "INSERT INTO listings (room, owner, persistent, public, name, occupants, game, \
                 playing, status) VALUES ($1, '', 1, $2, $3, 0, $4, $5, $6) \
                 ON CONFLICT (room) DO NOTHING",
            )
            .bind(l.room.clone())
            .bind(i32::from(l.public))
            .bind(l.name.clone())
            .bind(l.game.clone())
            .bind(i32::from(l.playing))
            .bind(l.status.clone())
            .execute(&mut *tx)
            .await
            .map_err(q)?;
        }
        tx.commit().await.map_err(q)
    }

    /// Reserves `count` game record ids of `service` for this instance: the first and the last.
    /// Never below an id already stored (a single instance numbers its records itself).
    pub async fn reserve_ids(&self, service: &str, count: u64) -> Result<(u64, u64), StoreError> {
        let count = i64::try_from(count.max(1)).unwrap_or(i64::MAX);
        let mut tx = self.pool.begin().await.map_err(q)?;
        sqlx::query(
            "INSERT INTO counters (service, name, value) VALUES ($1, 'records', 0) \
             ON CONFLICT (service, name) DO NOTHING",
        )
        .bind(service.to_owned())
        .execute(&mut *tx)
        .await
        .map_err(q)?;
        let last: i64 = sqlx::query(
            "UPDATE counters SET value = (CASE WHEN value >= \
             (SELECT COALESCE(MAX(id), 0) FROM game_records WHERE service = $1) THEN value \
             ELSE (SELECT COALESCE(MAX(id), 0) FROM game_records WHERE service = $1) END) + $2 \
             WHERE service = $1 AND name = 'records' RETURNING value",
        )
        .bind(service.to_owned())
        .bind(count)
        .fetch_one(&mut *tx)
        .await
        .map_err(q)?
        .try_get("value")
        .map_err(q)?;
        tx.commit().await.map_err(q)?;
        let last = u64::try_from(last).unwrap_or(0);
        Ok((last.saturating_sub(count as u64) + 1, last))
    }

    /// The ratings of `service` changed (by any instance) after `version`, and the newest
    /// version among them (`version` when none).
    pub async fn ratings_since(
        &self,
        service: &str,
        version: i64,
    ) -> Result<(Vec<StoredRating>, i64), StoreError> {
        let rows = sqlx::query(
            "SELECT game, jid, name, rating, deviation, volatility, games, last_ms, version \
             FROM ratings WHERE service = $1 AND version > $2",
        )
        .bind(service.to_owned())
        .bind(version)
        .fetch_all(&self.pool)
        .await
        .map_err(q)?;
        let mut newest = version;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            newest = newest.max(r.try_get::<i64, _>("version").map_err(q)?);
            out.push(StoredRating {
                service: service.to_owned(),
                game: r.try_get("game").map_err(q)?,
                jid: r.try_get("jid").map_err(q)?,
                name: r.try_get("name").map_err(q)?,
                rating: r.try_get("rating").map_err(q)?,
                deviation: r.try_get("deviation").map_err(q)?,
                volatility: r.try_get("volatility").map_err(q)?,
                games: r.try_get("games").map_err(q)?,
                last_ms: r.try_get("last_ms").map_err(q)?,
                delta: 0.0,
            });
        }
        Ok((out, newest))
    }
}

/// Cluster mode, within a write's transaction: a rating moves by the game's change added to
/// the stored rating (not replaced by this instance's idea of it), so that games ending on two
/// instances at once both count; the `ratings` counter's row lock orders these transactions,
/// and each row takes the counter's new value as its version, so that readers that ask for
/// the versions after the newest they saw miss none.
pub(super) async fn add_rating(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    r: &StoredRating,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO counters (service, name, value) VALUES ($1, 'ratings', 0) \
         ON CONFLICT (service, name) DO NOTHING",
    )
    .bind(r.service.clone())
    .execute(&mut **tx)
    .await
    .map_err(q)?;
    let version: i64 = sqlx::query(
        "UPDATE counters SET value = value + 1 WHERE service = $1 AND name = 'ratings' \
         RETURNING value",
    )
    .bind(r.service.clone())
    .fetch_one(&mut **tx)
    .await
    .map_err(q)?
    .try_get("value")
    .map_err(q)?;
    sqlx::query(
        "INSERT INTO ratings \
         (service, game, jid, name, rating, deviation, volatility, games, last_ms, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (service, game, jid) DO UPDATE SET name = excluded.name, \
         rating = ratings.rating + $11, deviation = excluded.deviation, \
         volatility = excluded.volatility, games = ratings.games + 1, \
         last_ms = CASE WHEN excluded.last_ms > ratings.last_ms THEN excluded.last_ms \
         ELSE ratings.last_ms END, version = excluded.version",
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
    .bind(version)
    .bind(r.delta)
    .execute(&mut **tx)
    .await
    .map_err(q)?;
    Ok(())
}

/// The rooms instance `id` listed, once it is gone: its temporary rooms are gone with it; its
/// persistent rooms stay listed, held by nobody and empty, until an instance claims them.
pub(super) async fn unlist(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &str,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM listings WHERE owner = $1 AND persistent = 0")
        .bind(id.to_owned())
        .execute(&mut **tx)
        .await
        .map_err(q)?;
    sqlx::query("UPDATE listings SET owner = '', occupants = 0 WHERE owner = $1")
        .bind(id.to_owned())
        .execute(&mut **tx)
        .await
        .map_err(q)?;
    Ok(())
}
