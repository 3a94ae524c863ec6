//! Records: every finished game is kept — players, seed and moves (enough to replay it), result,
//! clock, times and rating changes — in the store, and the most recent in memory for
//! `!history`, `!replay` and `!export` (a PGN-style text for any game).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use bevy_ecs::prelude::*;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use xmpp_parsers::jid::{BareJid, FullJid};

use super::course::Ctx;
use super::ratings::RatingChange;
use super::table::{Game, Step, StepKind};
use super::text::{plural, quote};
use crate::game::{Match, Outcome};
use crate::store::{Change, StoredRecord};

/// How many records the service keeps in memory (the store keeps them all).
pub const RECENT: usize = 5_000;
/// How many replay positions (one per user) the service remembers.
const CURSORS: usize = 1_000;
/// How many games `!history` lists.
const HISTORY: usize = 10;

/// One player of a recorded game.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordPlayer {
    /// The bare JID; none for the computer.
    pub jid: Option<String>,
    pub nick: String,
    pub seat: String,
}

/// A finished game.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub id: u64,
    pub room: String,
    pub game: String,
    pub game_name: String,
    pub players: Vec<RecordPlayer>,
    pub seed: u64,
    pub steps: Vec<Step>,
    /// The room's last word on it: `Nim: Alice (A) won — Bob resigned.`
    pub result: String,
    /// Seats that won; empty for a draw or when nobody won.
    pub winners: Vec<usize>,
    pub draw: bool,
    /// Why it ended, in the room's words.
    pub reason: String,
    pub started_ms: i64,
    pub ended_ms: i64,
    /// The time control's notation, if there was a clock.
    pub clock: Option<String>,
    pub rated: bool,
    /// `(seat, before, after)`.
    pub ratings: Vec<(usize, f64, f64)>,
}

/// The records in memory, the next id, and where each user is in a replay.
#[derive(Resource, Debug, Default)]
pub struct Records {
    pub next_id: u64,
    /// Cluster mode: the last id of the block reserved for this instance (ids are unique across
    /// instances), and the next block once reserved. `None`: the only instance, no limit.
    pub limit: Option<u64>,
    pub next_block: Option<(u64, u64)>,
    pub recent: VecDeque<Arc<Record>>,
    cursors: HashMap<FullJid, (u64, usize)>,
    cursor_order: VecDeque<FullJid>,
}

impl Records {
    /// The id the next record takes, if this instance has one left.
    fn take_id(&mut self) -> Option<u64> {
        let id = self.next_id.max(1);
        match self.limit {
            None => Some(id),
            Some(last) if id <= last => Some(id),
            Some(_) => {
                let (first, last) = self.next_block.take()?;
                self.next_id = first;
                self.limit = Some(last);
                Some(first.max(1))
            }
        }
    }

    /// Cluster mode: how many ids are left in the current block, with none queued after it.
    pub fn ids_left(&self) -> Option<u64> {
        let last = self.limit?;
        if self.next_block.is_some() {
            return None;
        }
        Some(last.saturating_add(1).saturating_sub(self.next_id.max(1)))
    }

    /// Cluster mode: a block of ids reserved for this instance.
    pub fn add_block(&mut self, first: u64, last: u64) {
        match self.limit {
            Some(limit) if self.next_id.max(1) <= limit => self.next_block = Some((first, last)),
            _ => {
                self.next_id = first;
                self.limit = Some(last);
            }
        }
    }

    pub fn find(&self, id: u64) -> Option<Arc<Record>> {
        // Ids grow with time: a binary search over the deque's order.
        let i = self.recent.partition_point(|r| r.id < id);
        self.recent.get(i).filter(|r| r.id == id).cloned()
    }

    pub fn push(&mut self, record: Record) {
        self.next_id = self.next_id.max(record.id.saturating_add(1));
        self.recent.push_back(Arc::new(record));
        while self.recent.len() > RECENT {
            self.recent.pop_front();
        }
    }

    fn set_cursor(&mut self, viewer: &FullJid, id: u64, step: usize) {
        if self.cursors.insert(viewer.clone(), (id, step)).is_none() {
            self.cursor_order.push_back(viewer.clone());
            while self.cursor_order.len() > CURSORS {
                if let Some(old) = self.cursor_order.pop_front() {
                    self.cursors.remove(&old);
                }
            }
        }
    }
}

/// Keeps a finished game: in memory, and queued for the store in this tick (so that the
/// announcement waits for its commit).
pub fn keep(ctx: &mut Ctx, room: Entity, game: &Game, result: &str, ratings: &[RatingChange]) {
    let Some(id) = ctx.records.take_id() else {
        // Cluster mode, and the store has not handed this instance new ids in time.
        tracing::warn!("no game record id left for this instance: a game goes unrecorded");
        ctx.say_all(room, "This game could not be recorded (try again shortly).");
        return;
    };
    let (winners, draw, reason) = match game.play.outcome() {
        Some(Outcome::Win { seats, reason }) => (seats.clone(), false, reason.clone()),
        Some(Outcome::Draw { reason }) => (Vec::new(), true, reason.clone()),
        Some(Outcome::Nobody { reason }) => (Vec::new(), false, reason.clone()),
        None => (Vec::new(), false, String::new()),
    };
    let record = Record {
        id,
        room: ctx
            .rooms
            .jid(room)
            .map(ToString::to_string)
            .unwrap_or_default(),
        game: game.play.rules.id().to_owned(),
        game_name: game.play.rules.name().to_owned(),
        players: game
            .players
            .iter()
            .enumerate()
            .map(|(i, p)| RecordPlayer {
                jid: p.jid.as_ref().map(ToString::to_string),
                nick: p.nick.clone(),
                seat: game.play.seat_name(i).to_owned(),
            })
            .collect(),
        seed: game.play.state.seed,
        steps: game.log.clone(),
        result: result.to_owned(),
        winners,
        draw,
        reason,
        started_ms: game.started.timestamp_millis(),
        ended_ms: ctx.now.0.timestamp_millis(),
        clock: game.clocks.as_ref().map(|c| c.control.notation()),
        // A game nobody won moves no rating, whatever the room said.
        rated: game.rated && !ratings.is_empty(),
        ratings: ratings
            .iter()
            .map(|c| (c.seat, c.before, c.after))
            .collect(),
    };
    match ron::to_string(&record) {
        Ok(text) => ctx.store.0.push(Change::PutRecord(StoredRecord {
            service: ctx.service.settings.domain.to_string(),
            id: id as i64,
            room: record.room.clone(),
            game: record.game.clone(),
            started_ms: record.started_ms,
            ended_ms: record.ended_ms,
            rated: record.rated,
            players: record
                .players
                .iter()
                .map(|p| (p.jid.clone(), p.nick.clone()))
                .collect(),
            record: text,
        })),
        Err(e) => tracing::warn!("game record {id} could not be written: {e}"),
    }
    ctx.records.push(record);
    ctx.say_all(
        room,
        &format!(
            "Recorded as game #{id}: !replay {id} steps through it, !export {id} writes it out."
        ),
    );
}

/// Puts stored records back (at start), oldest first.
pub fn restore(records: &mut Records, stored: Vec<String>, next_id: u64) {
    for text in stored {
        match ron::from_str::<Record>(&text) {
            Ok(r) => records.push(r),
            Err(e) => tracing::warn!("a stored game record is unreadable, skipped: {e}"),
        }
    }
    records.next_id = records.next_id.max(next_id).max(1);
}

fn date(ms: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default()
}

/// `Alice (X) vs Bob (O)`.
fn lineup(r: &Record) -> String {
    let names: Vec<String> = r
        .players
        .iter()
        .map(|p| format!("{} ({})", p.nick, p.seat))
        .collect();
    names.join(" vs ")
}

/// `Alice won`, `a draw`, `no result`.
fn outcome_text(r: &Record) -> String {
    if r.draw {
        return "a draw".into();
    }
    if r.winners.is_empty() {
        return "nobody won".into();
    }
    let names: Vec<&str> = r
        .winners
        .iter()
        .filter_map(|s| r.players.get(*s).map(|p| p.nick.as_str()))
        .collect();
    format!("{} won", names.join(" and "))
}

/// `!history [NICK]`: someone's recent games, newest first.
pub fn history(ctx: &Ctx, room: Entity, me: &BareJid, who: &str) -> String {
    let (jid, name) = if who.is_empty() {
        (Some(me.to_string()), "You".to_owned())
    } else if let Some(o) = ctx.rooms.occupant_by_nick(room, who) {
        (Some(o.jid.to_bare().to_string()), o.nick)
    } else {
        (None, who.to_owned())
    };
    let played = |r: &Record| {
        r.players.iter().any(|p| match &jid {
            Some(j) => p.jid.as_deref() == Some(j.as_str()),
            None => p.nick == who,
        })
    };
    let games: Vec<String> = ctx
        .records
        .recent
        .iter()
        .rev()
        .filter(|r| played(r))
        .take(HISTORY)
        .map(|r| {
            format!(
                "#{} {} {}: {} — {}{}",
                r.id,
                date(r.ended_ms).format("%Y-%m-%d %H:%M"),
                r.game_name,
                lineup(r),
                outcome_text(r),
                if r.rated { "" } else { " (unrated)" }
            )
        })
        .collect();
    if games.is_empty() {
        return format!(
            "{} played no recorded game lately.",
            if who.is_empty() {
                "You".to_owned()
            } else {
                quote(&name)
            }
        );
    }
    let whose = if who.is_empty() {
        "Your".to_owned()
    } else {
        format!("{name}'s")
    };
    format!("{whose} recent games:\n{}", games.join("\n"))
}

/// Replays `record` to just after `step` moves: the position, or why it cannot be rebuilt.
fn position(ctx: &Ctx, record: &Record, step: usize) -> Result<Match, String> {
    let rules = ctx
        .catalog
        .find(&record.game)
        .ok_or_else(|| format!("{} is no longer played here.", record.game_name))?;
    let mut m = Match::new(rules, record.players.len(), record.seed);
    for (i, s) in record.steps.iter().take(step).enumerate() {
        match &s.what {
            StepKind::Move(text) => {
                m.play(s.seat, text).map_err(|e| {
                    format!(
                        "Game #{} no longer replays (move {}: {e}).",
                        record.id,
                        i + 1
                    )
                })?;
            }
            StepKind::Skip => {
                m.timeout(s.seat);
            }
        }
    }
    Ok(m)
}

/// `!replay ID [N]`, `!next`, `!prev`: a recorded game, one step at a time, privately.
pub fn replay(ctx: &mut Ctx, viewer: &FullJid, command: &str, args: &str) -> String {
    let cursor = ctx.records.cursors.get(viewer).copied();
    let (id, step) = match command {
        "next" | "prev" => {
            let Some((id, step)) = cursor else {
                return "Which game? !replay ID (!history lists yours).".into();
            };
            if command == "next" {
                (id, step + 1)
            } else {
                (id, step.saturating_sub(1))
            }
        }
        _ => {
            let mut words = args.split_whitespace();
            let Some(id) = words
                .next()
                .and_then(|w| w.trim_start_matches('#').parse::<u64>().ok())
            else {
                return "Which game? !replay ID (!history lists yours).".into();
            };
            let step = words
                .next()
                .and_then(|w| w.parse::<usize>().ok())
                .unwrap_or(0);
            (id, step)
        }
    };
    let Some(record) = ctx.records.find(id) else {
        return format!("There is no recent game #{id}.");
    };
    let step = step.min(record.steps.len());
    let m = match position(ctx, &record, step) {
        Ok(m) => m,
        Err(why) => return why,
    };
    ctx.records.set_cursor(viewer, id, step);
    let what = match step.checked_sub(1).and_then(|i| record.steps.get(i)) {
        None => "the start".to_owned(),
        Some(s) => {
            let who = record
                .players
                .get(s.seat)
                .map_or("?".into(), |p| format!("{} ({})", p.nick, p.seat));
            match &s.what {
                StepKind::Move(text) => format!("{who} played {text}"),
                StepKind::Skip => format!("{who} ran out of time and was skipped"),
            }
        }
    };
    let end = if step == record.steps.len() {
        format!("\n{}", record.result)
    } else {
        "\n!next, !prev or !replay ID N to go on.".to_owned()
    };
    format!(
        "Game #{id}, {}: {} — step {step} of {}: {what}.\n```\n{}\n```{end}",
        record.game_name,
        lineup(&record),
        record.steps.len(),
        m.render(None)
    )
}

/// `!export ID`: a PGN-style text of any recorded game (tags, then the numbered moves).
pub fn export(ctx: &Ctx, args: &str) -> String {
    let Some(id) = args.trim().trim_start_matches('#').parse::<u64>().ok() else {
        return "Which game? !export ID (!history lists yours).".into();
    };
    let Some(r) = ctx.records.find(id) else {
        return format!("There is no recent game #{id}.");
    };
    // Where PGN readers can read the game's moves, they get SAN; else the game's own notation.
    let san = ctx.catalog.find(&r.game).and_then(|rules| {
        let moves: Option<Vec<(usize, String)>> = r
            .steps
            .iter()
            .map(|s| match &s.what {
                StepKind::Move(text) => Some((s.seat, text.clone())),
                StepKind::Skip => None,
            })
            .collect();
        crate::game::algebraic::moves(Match::new(rules, r.players.len(), r.seed), &moves?)
    });
    pgn(&r, san.as_deref())
}

/// The PGN-style text: PGN's tags where they apply (White and Black for two seats, in turn
/// order), palaver's own beside them, then the moves numbered by rounds: `san` when given (one
/// per step), else as the game spells them.
pub fn pgn(r: &Record, san: Option<&[String]>) -> String {
    let esc = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let mut tags = vec![
        ("Event".to_owned(), r.game_name.clone()),
        ("Site".to_owned(), r.room.clone()),
        (
            "Date".to_owned(),
            date(r.started_ms).format("%Y.%m.%d").to_string(),
        ),
        ("Round".to_owned(), "-".to_owned()),
    ];
    if r.players.len() == 2 {
        tags.push(("White".into(), r.players[0].nick.clone()));
        tags.push(("Black".into(), r.players[1].nick.clone()));
    }
    let result = match (r.players.len(), r.draw, r.winners.as_slice()) {
        (2, true, _) => "1/2-1/2",
        (2, false, [0]) => "1-0",
        (2, false, [1]) => "0-1",
        _ => "*",
    };
    tags.push(("Result".into(), result.into()));
    tags.push(("GameId".into(), r.id.to_string()));
    tags.push(("Variant".into(), r.game.clone()));
    for p in &r.players {
        tags.push((format!("Seat{}", p.seat), p.nick.clone()));
    }
    if let Some(clock) = &r.clock {
        // PGN's own form where it has one (seconds + increment); palaver's text beside it.
        let pgn_form = match super::clock::TimeControl::parse(clock) {
            Ok(super::clock::TimeControl::Game {
                main,
                increment,
                periods: 0,
                ..
            }) => format!("{main}+{increment}"),
            _ => "?".into(),
        };
        tags.push(("TimeControl".into(), pgn_form));
        tags.push(("Clock".into(), clock.clone()));
    }
    tags.push(("Termination".into(), r.reason.clone()));
    tags.push(("Rated".into(), if r.rated { "yes" } else { "no" }.into()));
    if !r.draw && !r.winners.is_empty() && r.players.len() != 2 {
        tags.push(("Winner".into(), outcome_text(r)));
    }
    let mut out: Vec<String> = tags
        .iter()
        .map(|(k, v)| {
            let key: String = k.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
            format!("[{key} \"{}\"]", esc(v))
        })
        .collect();
    out.push(String::new());
    let n = r.players.len().max(1);
    let mut moves = Vec::new();
    for (i, s) in r.steps.iter().enumerate() {
        if i % n == 0 {
            moves.push(format!("{}.", i / n + 1));
        }
        moves.push(match &s.what {
            StepKind::Move(_) if san.is_some_and(|v| v.len() == r.steps.len()) => {
                san.and_then(|v| v.get(i)).cloned().unwrap_or_default()
            }
            StepKind::Move(text) => text.replace(' ', "_"),
            StepKind::Skip => "--".into(),
        });
    }
    moves.push(result.to_owned());
    out.push(moves.join(" "));
    out.join("\n")
}

/// A line about a record for listings: `#12 Nim: Alice (A) vs Bob (B) — Alice won`.
pub fn summary(r: &Record) -> String {
    format!(
        "#{} {}: {} — {}, {}",
        r.id,
        r.game_name,
        lineup(r),
        outcome_text(r),
        plural(r.steps.len() as u64, "move", "moves")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cluster mode: ids come from the reserved blocks only, the next block taking over when
    /// one is used up; none is handed out past the last block.
    #[test]
    fn ids_come_from_the_reserved_blocks() {
        let mut r = Records::default();
        assert_eq!(r.ids_left(), None);
        assert_eq!(r.take_id(), Some(1));
        r.add_block(11, 12);
        assert_eq!(r.ids_left(), Some(2));
        assert_eq!(r.take_id(), Some(11));
        r.next_id = 12;
        r.add_block(31, 40);
        assert_eq!(r.ids_left(), None);
        assert_eq!(r.take_id(), Some(12));
        r.next_id = 13;
        assert_eq!(r.take_id(), Some(31));
        assert_eq!(r.ids_left(), Some(10));
        r.next_id = 41;
        assert_eq!(r.take_id(), None);
    }
}
