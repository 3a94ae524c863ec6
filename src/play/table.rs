//! A room's table: the game it hosts, who sits where, and the game in progress (or the last
//! one) with who played it, its clocks, its moves so far and any offer on the table. How a game
//! runs its course is in [`super::course`].

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use bevy_ecs::prelude::*;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use xmpp_parsers::jid::BareJid;

use super::clock::Clocks;
use super::text::{name_seats, plural};
use super::{BOT_DELAY_MS, GameCatalog};
use crate::game::{Match, Outcome, Rules};

/// Someone in a seat: a user (by bare JID, so that a rejoin keeps the seat) or the computer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sitter {
    pub jid: Option<BareJid>,
    pub nick: String,
    pub away_since: Option<DateTime<Utc>>,
}

impl Sitter {
    pub fn is_bot(&self) -> bool {
        self.jid.is_none()
    }
}

/// One step of a game as the record keeps it: enough to replay it from the seed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub seat: usize,
    pub what: StepKind,
    /// How long the seat took, in milliseconds.
    pub ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepKind {
    /// A move, canonically spelt.
    Move(String),
    /// The turn passed when the time per move ran out.
    Skip,
}

/// Something put to the other players, to be accepted by all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub kind: OfferKind,
    /// The seat that offered.
    pub by: usize,
    /// The seats that agreed (the offerer included).
    pub agreed: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferKind {
    Draw,
    Takeback,
    Rematch,
}

impl OfferKind {
    pub fn word(self) -> &'static str {
        match self {
            OfferKind::Draw => "a draw",
            OfferKind::Takeback => "a takeback",
            OfferKind::Rematch => "a rematch",
        }
    }
}

/// The position before a move, for taking it back.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub state: crate::game::play::State,
    pub clocks: Option<Clocks>,
    pub log_len: usize,
}

/// How many moves can be taken back in a row.
pub const UNDO_DEPTH: usize = 8;

/// A game that began: the match and who played each of its seats (kept after it ends, for the
/// result, the record and a rematch, while the seats themselves are free again).
#[derive(Debug, Clone)]
pub struct Game {
    pub play: Match,
    pub players: Vec<Sitter>,
    pub clocks: Option<Clocks>,
    pub log: Vec<Step>,
    pub started: DateTime<Utc>,
    /// Counts for ratings (decided at the start: the room's choice, no computer).
    pub rated: bool,
    pub offer: Option<Offer>,
    pub undo: VecDeque<Snapshot>,
    /// Ended by `!abort`: no result, no record, no rating.
    pub aborted: bool,
    /// The private view last sent to each seat (what only it may see): sent again only when
    /// it changes, on `!hand` and after a rejoin. Not stored: a restored game sends it anew.
    pub sent_views: Vec<Option<String>>,
}

impl Game {
    pub fn new(play: Match, players: Vec<Sitter>, started: DateTime<Utc>) -> Game {
        Game {
            play,
            players,
            clocks: None,
            log: Vec::new(),
            started,
            rated: false,
            offer: None,
            undo: VecDeque::new(),
            aborted: false,
            sent_views: Vec::new(),
        }
    }

    pub fn running(&self) -> bool {
        !self.play.is_over()
    }

    /// `alice (X)`.
    pub fn label(&self, seat: usize) -> String {
        match self.players.get(seat) {
            Some(s) => format!("{} ({})", s.nick, self.play.seat_name(seat)),
            None => self.play.seat_name(seat).to_owned(),
        }
    }

    pub fn seat_of(&self, jid: &BareJid) -> Option<usize> {
        self.players
            .iter()
            .position(|s| s.jid.as_ref() == Some(jid))
    }

    /// The nicks of the players, by seat, for naming them in the engine's sentences.
    pub fn nicks(&self) -> Vec<(String, String)> {
        self.players
            .iter()
            .enumerate()
            .map(|(i, s)| (self.play.seat_name(i).to_owned(), s.nick.clone()))
            .collect()
    }

    /// The players' nicks, by seat.
    pub fn nicks_only(&self) -> Vec<String> {
        self.players.iter().map(|p| p.nick.clone()).collect()
    }

    /// Names the players in the reason of a result the engine just gave ("X cannot move").
    pub fn name_outcome(&mut self) {
        let nicks = self.nicks();
        if let Some(
            Outcome::Win { reason, .. } | Outcome::Draw { reason } | Outcome::Nobody { reason },
        ) = self.play.state.outcome.as_mut()
        {
            *reason = name_seats(reason, &nicks);
        }
    }

    /// Ends the game with `outcome` decided by the room (an agreed draw, an abort, a forfeit).
    pub fn end(&mut self, outcome: Outcome) {
        self.play.state.outcome = Some(outcome);
        self.offer = None;
    }

    /// The position now, to keep once a move has changed it.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            state: self.play.state.clone(),
            clocks: self.clocks.clone(),
            log_len: self.log.len(),
        }
    }

    /// Keeps the position before a move, for a takeback.
    pub fn remember(&mut self, before: Snapshot) {
        self.undo.push_back(before);
        while self.undo.len() > UNDO_DEPTH {
            self.undo.pop_front();
        }
    }

    /// Goes back to before `seat`'s last move (and whatever followed it); false when the moves
    /// to take back are no longer remembered.
    pub fn take_back(&mut self, seat: usize) -> bool {
        let Some(i) = (0..self.undo.len()).rev().find(|i| {
            let log_len = self.undo[*i].log_len;
            self.log.get(log_len).is_some_and(|s| s.seat == seat)
        }) else {
            return false;
        };
        let snap = self.undo[i].clone();
        self.undo.truncate(i);
        self.play.state = snap.state;
        self.clocks = snap.clocks;
        if let Some(c) = self.clocks.as_mut() {
            c.since.iter_mut().for_each(|s| *s = None);
        }
        self.log.truncate(snap.log_len);
        self.offer = None;
        true
    }

    /// The human players' seats.
    pub fn human_seats(&self) -> Vec<usize> {
        (0..self.players.len())
            .filter(|s| !self.players[*s].is_bot())
            .collect()
    }
}

/// The room's game.
#[derive(Component, Debug, Clone)]
pub struct Table {
    pub rules: Arc<Rules>,
    pub seats: Vec<Option<Sitter>>,
    /// The current or last game.
    pub game: Option<Game>,
    pub bot_due: Option<DateTime<Utc>>,
    /// Games won per player name, and draws, since the table was set.
    pub wins: BTreeMap<String, u32>,
    pub draws: u32,
    pub played: u64,
}

impl Table {
    pub fn new(rules: Arc<Rules>) -> Table {
        let seats = vec![None; rules.max_players()];
        Table {
            rules,
            seats,
            game: None,
            bot_due: None,
            wins: BTreeMap::new(),
            draws: 0,
            played: 0,
        }
    }

    pub fn running(&self) -> bool {
        self.game.as_ref().is_some_and(Game::running)
    }

    /// The running game, if any.
    pub fn live(&self) -> Option<&Game> {
        self.game.as_ref().filter(|g| g.running())
    }

    pub fn live_mut(&mut self) -> Option<&mut Game> {
        self.game.as_mut().filter(|g| g.running())
    }

    pub fn seat_name(&self, seat: usize) -> &str {
        self.rules.seats().get(seat).map_or("?", String::as_str)
    }

    /// `alice (X)`: the player of the running or last game in that seat, else who sits there.
    pub fn label(&self, seat: usize) -> String {
        if let Some(game) = &self.game {
            return game.label(seat);
        }
        match self.seats.get(seat).and_then(Option::as_ref) {
            Some(s) => format!("{} ({})", s.nick, self.seat_name(seat)),
            None => self.seat_name(seat).to_owned(),
        }
    }

    /// When the next clock runs out, and when the computer moves if it is to.
    pub fn timers(&self, now: DateTime<Utc>) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let Some(game) = self.live() else {
            return (None, None);
        };
        let deadline = game.clocks.as_ref().and_then(Clocks::next_deadline);
        let bot_turn = game
            .play
            .to_move()
            .iter()
            .any(|s| game.players.get(*s).is_some_and(Sitter::is_bot));
        (
            deadline,
            bot_turn.then(|| now + Duration::milliseconds(BOT_DELAY_MS)),
        )
    }

    pub fn seat_of(&self, jid: &BareJid) -> Option<usize> {
        self.seats
            .iter()
            .position(|s| s.as_ref().and_then(|s| s.jid.as_ref()) == Some(jid))
    }

    pub fn seated(&self) -> usize {
        self.seats.iter().filter(|s| s.is_some()).count()
    }

    /// Who is to move (and the clocks), or how the last game ended, or who is seated, with
    /// nicks; `now` reads the running clocks.
    pub fn status_at(&self, now: DateTime<Utc>) -> String {
        let name = self.rules.name();
        let Some(game) = &self.game else {
            return self.waiting();
        };
        let labels = |seats: &[usize]| -> String {
            let names: Vec<String> = seats.iter().map(|s| game.label(*s)).collect();
            names.join(" and ")
        };
        if game.aborted {
            let why = match game.play.outcome() {
                Some(Outcome::Nobody { reason }) => reason.clone(),
                _ => "aborted".into(),
            };
            return format!("{name}: no result — {why}.");
        }
        match game.play.outcome() {
            Some(Outcome::Win { seats, reason }) => {
                format!("{name}: {} won — {reason}.", labels(seats))
            }
            Some(Outcome::Draw { reason }) => format!("{name}: a draw — {reason}."),
            Some(Outcome::Nobody { reason }) => format!("{name}: nobody won — {reason}."),
            None => {
                let to_move = labels(&game.play.to_move());
                let mut s = if self.rules.simultaneous() {
                    format!("{name}: waiting for {to_move} to choose.")
                } else {
                    format!("{name}: {to_move} to move.")
                };
                if let Some(c) = &game.clocks {
                    s.push(' ');
                    s.push_str(&c.status(&game.play.to_move(), &game.nicks_only(), now));
                }
                s
            }
        }
    }

    /// Who sits, before a game.
    pub fn waiting(&self) -> String {
        let free: Vec<&str> = (0..self.seats.len())
            .filter(|s| self.seats[*s].is_none())
            .map(|s| self.seat_name(s))
            .collect();
        format!(
            "{}: waiting for players ({} of {}–{} seated; free: {}).",
            self.rules.name(),
            self.seated(),
            self.rules.min_players(),
            self.rules.max_players(),
            if free.is_empty() {
                "none".into()
            } else {
                free.join(", ")
            }
        )
    }

    /// `3 games played; wins: …; draws: …`.
    pub fn score(&self) -> String {
        let wins: Vec<String> = self.wins.iter().map(|(n, w)| format!("{n} {w}")).collect();
        format!(
            "{} played; wins: {}; {}.",
            plural(self.played, "game", "games"),
            if wins.is_empty() {
                "none".into()
            } else {
                wins.join(", ")
            },
            plural(u64::from(self.draws), "draw", "draws"),
        )
    }
}

/// A table as the store keeps it (RON): the game by id, the seats by bare JID, the match.
/// Fields added later take their defaults when an older record is read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredTable {
    pub game: String,
    /// `(bare JID, nick)`; no JID for the computer.
    pub seats: Vec<Option<(Option<String>, String)>>,
    pub state: Option<crate::game::play::State>,
    pub wins: BTreeMap<String, u32>,
    pub draws: u32,
    pub played: u64,
    /// Who played each seat of `state` (older records: the seats).
    #[serde(default)]
    pub players: Option<Vec<(Option<String>, String)>>,
    /// The clocks as of the last move: a restored game goes on from the time then left.
    #[serde(default)]
    pub clocks: Option<Clocks>,
    #[serde(default)]
    pub log: Vec<Step>,
    #[serde(default)]
    pub started_ms: i64,
    #[serde(default)]
    pub rated: bool,
    #[serde(default)]
    pub aborted: bool,
}

fn stored_sitter(s: &Sitter) -> (Option<String>, String) {
    (s.jid.as_ref().map(ToString::to_string), s.nick.clone())
}

fn sitter_of((jid, nick): (Option<String>, String)) -> Sitter {
    Sitter {
        jid: jid.and_then(|j| j.parse().ok()),
        nick,
        away_since: None,
    }
}

impl Table {
    pub fn to_stored(&self) -> StoredTable {
        StoredTable {
            game: self.rules.id().to_owned(),
            seats: self
                .seats
                .iter()
                .map(|s| s.as_ref().map(stored_sitter))
                .collect(),
            state: self.game.as_ref().map(|g| g.play.state.clone()),
            wins: self.wins.clone(),
            draws: self.draws,
            played: self.played,
            players: self
                .game
                .as_ref()
                .map(|g| g.players.iter().map(stored_sitter).collect()),
            clocks: self.game.as_ref().and_then(|g| g.clocks.clone()),
            log: self
                .game
                .as_ref()
                .map(|g| g.log.clone())
                .unwrap_or_default(),
            started_ms: self
                .game
                .as_ref()
                .map_or(0, |g| g.started.timestamp_millis()),
            rated: self.game.as_ref().is_some_and(|g| g.rated),
            aborted: self.game.as_ref().is_some_and(|g| g.aborted),
        }
    }

    /// Rebuilds a table; `None` when its game is no longer loaded. A running game's clocks
    /// start again at `now` from the time each seat had left at the last move; the computer's
    /// next move is due afresh.
    pub fn from_stored(
        stored: StoredTable,
        catalog: &GameCatalog,
        now: DateTime<Utc>,
    ) -> Option<Table> {
        let rules = catalog.find(&stored.game)?;
        let mut table = Table::new(rules.clone());
        for (slot, seat) in table.seats.iter_mut().zip(stored.seats.iter().cloned()) {
            *slot = seat.map(sitter_of);
        }
        let players: Vec<Sitter> = match stored.players {
            Some(players) => players.into_iter().map(sitter_of).collect(),
            None => table.seats.iter().flatten().cloned().collect(),
        };
        let started = DateTime::<Utc>::from_timestamp_millis(stored.started_ms).unwrap_or(now);
        table.game = stored
            .state
            .and_then(|state| Match::restore(rules.clone(), state))
            .map(|play| {
                let mut game = Game::new(play, players, started);
                let n = game.players.len();
                // Older records (or unreadable clocks): the rules' clock, afresh.
                game.clocks = stored
                    .clocks
                    .filter(|c| c.bank_ms.len() == n && c.sane())
                    .or_else(|| super::clock::rules_default(&rules).map(|c| Clocks::new(c, n)));
                game.log = stored.log;
                game.rated = stored.rated;
                game.aborted = stored.aborted;
                let to_move = game.play.to_move();
                if let Some(c) = game.clocks.as_mut() {
                    c.run(&to_move, now);
                }
                game
            });
        table.wins = stored.wins;
        table.draws = stored.draws;
        table.played = stored.played;
        table.bot_due = table.timers(now).1;
        Some(table)
    }
}
