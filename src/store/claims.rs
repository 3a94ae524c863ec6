//! Room claims (cluster mode): which instance holds each room, and at which epoch.
//!
//! Several instances share one PostgreSQL; the server's router sends every stanza for a room to
//! one of them. The instance that gets a stanza for a room it does not hold claims it: one
//! statement takes the room's row and raises its epoch. Every write to a room then checks, in
//! its own transaction, that the row still names this instance at that epoch; the check takes
//! the row's lock, so a claim waits for a write in progress and a write after a claim fails.
//! Two instances therefore never both write a room, whatever the timing.

use std::collections::HashMap;

use sqlx::Row;

use super::{Change, Epochs, Store, StoreError, StoredRoom, one_line};

fn q(e: sqlx::Error) -> StoreError {
    StoreError::Query(one_line(&e.to_string()))
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Store {
    /// This store, written as instance `id` of several: room writes are checked against claims.
    pub fn with_instance(mut self, id: &str) -> Store {
        self.instance = Some(id.to_owned());
        self
    }

    /// The instance id in cluster mode.
    pub fn instance(&self) -> Option<&str> {
        self.instance.as_deref()
    }

    /// Takes `room` for this instance under a new epoch, and reads what the store holds of it
    /// (nothing for a room never stored: a temporary or a new one). Whoever held it before can
    /// no longer write it.
    pub async fn claim(&self, room: &str) -> Result<(i64, Option<StoredRoom>), StoreError> {
        let Some(me) = &self.instance else {
            return Err(StoreError::Query(
                "a room can only be claimed in cluster mode".into(),
            ));
        };
        let epoch: i64 = sqlx::query(
            "INSERT INTO claims (room, owner, epoch, since_ms) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (room) DO UPDATE SET owner = excluded.owner, \
             epoch = claims.epoch + 1, since_ms = excluded.since_ms RETURNING epoch",
        )
        .bind(room.to_owned())
        .bind(me.clone())
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await
        .map_err(q)?
        .try_get("epoch")
        .map_err(q)?;
        // Read after the claim committed: every write of the previous holder is either in it
        // or refused.
        let stored = self.load_one(room).await?;
        Ok((epoch, stored))
    }

    /// Gives `room` up, if this instance still holds it at `epoch` (a room that is gone).
    pub async fn release(&self, room: &str, epoch: i64) -> Result<(), StoreError> {
        let Some(me) = &self.instance else {
            return Ok(());
        };
        sqlx::query("DELETE FROM claims WHERE room = $1 AND owner = $2 AND epoch = $3")
            .bind(room.to_owned())
            .bind(me.clone())
            .bind(epoch)
            .execute(&self.pool)
            .await
            .map_err(q)?;
        Ok(())
    }

    /// Gives up every room this instance holds (it stops).
    pub async fn release_all(&self) -> Result<(), StoreError> {
        let Some(me) = &self.instance else {
            return Ok(());
        };
        let mut tx = self.pool.begin().await.map_err(q)?;
        sqlx::query("DELETE FROM claims WHERE owner = $1")
            .bind(me.clone())
            .execute(&mut *tx)
            .await
            .map_err(q)?;
        super::shared::unlist(&mut tx, me).await?;
        tx.commit().await.map_err(q)
    }

    /// The rooms the store says this instance holds, with their epochs.
    pub async fn held(&self) -> Result<HashMap<String, i64>, StoreError> {
        let Some(me) = &self.instance else {
            return Ok(HashMap::new());
        };
        sqlx::query("SELECT room, epoch FROM claims WHERE owner = $1")
            .bind(me.clone())
            .fetch_all(&self.pool)
            .await
            .map_err(q)?
            .into_iter()
            .map(|r| Ok((r.try_get("room")?, r.try_get("epoch")?)))
            .collect::<Result<HashMap<String, i64>, sqlx::Error>>()
            .map_err(q)
    }

    /// Says this instance is alive (with `links` connections to the server), and takes over the
    /// instances not heard of for `dead_after`: their rows are deleted, one live instance
    /// winning each, and returned with how many connections each had.
    pub async fn beat(
        &self,
        links: usize,
        dead_after: std::time::Duration,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let Some(me) = &self.instance else {
            return Ok(Vec::new());
        };
        let now = now_ms();
        let links = i64::try_from(links).unwrap_or(i64::MAX);
        sqlx::query(
            "INSERT INTO instances (id, links, seen_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET links = excluded.links, seen_ms = excluded.seen_ms",
        )
        .bind(me.clone())
        .bind(links)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(q)?;
        let before = now - i64::try_from(dead_after.as_millis()).unwrap_or(i64::MAX);
        let dead =
            sqlx::query("SELECT id, links, seen_ms FROM instances WHERE id <> $1 AND seen_ms < $2")
                .bind(me.clone())
                .bind(before)
                .fetch_all(&self.pool)
                .await
                .map_err(q)?;
        let mut taken = Vec::new();
        for row in dead {
            let id: String = row.try_get("id").map_err(q)?;
            let links: i64 = row.try_get("links").map_err(q)?;
            let seen: i64 = row.try_get("seen_ms").map_err(q)?;
            // Only one instance deletes the row: that one takes over, and unlists the dead
            // one's temporary rooms (they died with it).
            let mut tx = self.pool.begin().await.map_err(q)?;
            let won = sqlx::query("DELETE FROM instances WHERE id = $1 AND seen_ms = $2")
                .bind(id.clone())
                .bind(seen)
                .execute(&mut *tx)
                .await
                .map_err(q)?
                .rows_affected()
                == 1;
            if won {
                super::shared::unlist(&mut tx, &id).await?;
            }
            tx.commit().await.map_err(q)?;
            if won {
                taken.push((id, links));
            }
        }
        Ok(taken)
    }

    /// This instance stops: its row is marked long dead, so that a live instance takes its
    /// connections' slots over at its next beat.
    pub async fn leave(&self) -> Result<(), StoreError> {
        let Some(me) = &self.instance else {
            return Ok(());
        };
        sqlx::query("UPDATE instances SET seen_ms = 0 WHERE id = $1")
            .bind(me.clone())
            .execute(&self.pool)
            .await
            .map_err(q)?;
        Ok(())
    }

    /// The other live instances (heard of within `dead_after`), with their connection counts.
    pub async fn alive(
        &self,
        dead_after: std::time::Duration,
    ) -> Result<HashMap<String, i64>, StoreError> {
        let me = self.instance.clone().unwrap_or_default();
        let before = now_ms() - i64::try_from(dead_after.as_millis()).unwrap_or(i64::MAX);
        sqlx::query("SELECT id, links FROM instances WHERE id <> $1 AND seen_ms >= $2")
            .bind(me)
            .bind(before)
            .fetch_all(&self.pool)
            .await
            .map_err(q)?
            .into_iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("links")?)))
            .collect::<Result<HashMap<_, _>, sqlx::Error>>()
            .map_err(q)
    }

    /// Says that `count` connection slots were freed for instance `to`.
    pub async fn hand_slots(&self, to: &str, count: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE instances SET freed = freed + $2 WHERE id = $1")
            .bind(to.to_owned())
            .bind(count)
            .execute(&self.pool)
            .await
            .map_err(q)?;
        Ok(())
    }

    /// How many connection slots were freed for this instance since it last asked (taken).
    pub async fn freed_slots(&self) -> Result<i64, StoreError> {
        let Some(me) = &self.instance else {
            return Ok(0);
        };
        let mut tx = self.pool.begin().await.map_err(q)?;
        let freed: i64 = sqlx::query("SELECT freed FROM instances WHERE id = $1")
            .bind(me.clone())
            .fetch_optional(&mut *tx)
            .await
            .map_err(q)?
            .map(|r| r.try_get("freed"))
            .transpose()
            .map_err(q)?
            .unwrap_or(0);
        if freed > 0 {
            // What was read, not zero: slots freed meanwhile wait for the next look.
            sqlx::query("UPDATE instances SET freed = freed - $2 WHERE id = $1")
                .bind(me.clone())
                .bind(freed)
                .execute(&mut *tx)
                .await
                .map_err(q)?;
        }
        tx.commit().await.map_err(q)?;
        Ok(freed)
    }

    /// Every room claimed and by whom, for diagnostics and tests.
    pub async fn owners(&self) -> Result<HashMap<String, (String, i64)>, StoreError> {
        sqlx::query("SELECT room, owner, epoch FROM claims")
            .fetch_all(&self.pool)
            .await
            .map_err(q)?
            .into_iter()
            .map(|r| {
                Ok((
                    r.try_get("room")?,
                    (r.try_get("owner")?, r.try_get("epoch")?),
                ))
            })
            .collect::<Result<HashMap<_, _>, sqlx::Error>>()
            .map_err(q)
    }
}

/// Within a write's transaction: checks (and locks) the claim of every room `changes` touch, and
/// returns those this instance no longer holds at the epoch it thought, with that epoch. Rooms
/// are locked in name order so that two instances' transactions never wait on each other.
pub(super) async fn fence(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    me: &str,
    changes: &[Change],
    epochs: &Epochs,
) -> Result<Vec<(String, i64)>, StoreError> {
    let mut rooms: Vec<&str> = changes.iter().filter_map(Change::room).collect();
    rooms.sort_unstable();
    rooms.dedup();
    let mut stale = Vec::new();
    for room in rooms {
        let Some(&epoch) = epochs.get(room) else {
            // Never claimed: nothing of it may be written.
            stale.push((room.to_owned(), 0));
            continue;
        };
        let held = sqlx::query(
            "UPDATE claims SET since_ms = since_ms WHERE room = $1 AND owner = $2 AND epoch = $3",
        )
        .bind(room.to_owned())
        .bind(me.to_owned())
        .bind(epoch)
        .execute(&mut **tx)
        .await
        .map_err(q)?
        .rows_affected()
            == 1;
        if !held {
            stale.push((room.to_owned(), epoch));
        }
    }
    Ok(stale)
}
