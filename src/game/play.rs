//! A [`Match`] of any [`Rules`]: the position, the API rooms use (play a typed move, list the
//! legal ones, resign, time out, render), and the turn loop that composes the units: generate
//! ([`super::movement`]), filter ([`super::turn`]), apply ([`super::movement`],
//! [`super::capture`]), judge ([`super::end`]). Time is never read here: clocks belong to the
//! caller, which reports timeouts.

use std::collections::VecDeque;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::Rules;
use super::board::{NONE, Site};
use super::rng::Rng;
use super::spec::{Move, OnTimeout, Turns};
use super::{chance, end, movement, notation, setup, turn};

/// What one site holds: `count` 0 is empty.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    /// The seat, or [`NOBODY`].
    pub owner: u8,
    pub kind: u8,
    pub count: u16,
    pub moved: bool,
    /// A hidden piece struck by a `Shoot`: everyone sees it now.
    #[serde(default)]
    pub hit: bool,
}

pub const NOBODY: u8 = u8::MAX;
/// A sub-board filled without a winner.
pub const DRAWN: u8 = u8::MAX - 1;

impl Cell {
    pub const EMPTY: Cell = Cell {
        owner: NOBODY,
        kind: 0,
        count: 0,
        moved: false,
        hit: false,
    };

    pub fn piece(owner: u8, kind: u8) -> Cell {
        Cell {
            owner,
            kind,
            count: 1,
            moved: false,
            hit: false,
        }
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// How a game ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Win {
        seats: Vec<usize>,
        reason: String,
    },
    Draw {
        reason: String,
    },
    /// Over, and nobody won (e.g. the hidden word was not found).
    Nobody {
        reason: String,
    },
}

/// A refused move, with the reason in a plain sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveError(pub String);

impl std::fmt::Display for MoveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MoveError {}

pub(super) fn refuse<T>(reason: impl Into<String>) -> Result<T, MoveError> {
    Err(MoveError(reason.into()))
}

/// What an accepted move did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Played {
    /// The move in its canonical spelling.
    pub text: String,
    /// What followed, in plain sentences (dice rolled, a round's result, passes…).
    pub events: Vec<String>,
    /// The move's text is for its seat alone (a hidden piece placed, a code set): the room
    /// learns only that a secret move was made.
    pub secret: bool,
}

/// What a timeout did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutEffect {
    Forfeited,
    Skipped,
}

/// One legal move, as the units generate it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// Index into [`Rules::moves`].
    pub rule: u16,
    pub from: Site,
    pub to: Site,
    /// The kind placed, or promoted to ([`NOBODY`]: none).
    pub kind: u8,
    /// Objects taken, or the option chosen.
    pub n: u16,
    /// It captures something (compulsory-capture rules look at this).
    pub captures: bool,
    /// What few actions carry, boxed so that the common action stays small (playouts build,
    /// copy and drop a list of actions every move). `None` when both parts are empty.
    more: Option<Box<More>>,
}

// Playouts copy actions every move: keep them at three words.
const _: () = assert!(std::mem::size_of::<Action>() <= 24);

#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct More {
    /// A hop chain's landings after `to`; castling: the partner's site.
    path: Vec<Site>,
    /// A guessed word.
    word: Option<String>,
}

impl Action {
    pub fn new(rule: usize, from: Site, to: Site) -> Action {
        Action {
            rule: rule as u16,
            from,
            to,
            kind: NOBODY,
            n: 0,
            captures: false,
            more: None,
        }
    }

    /// A hop chain's landings after `to`; castling: the partner's site.
    pub fn path(&self) -> &[Site] {
        self.more.as_ref().map_or(&[], |m| &m.path)
    }

    /// A guessed word.
    pub fn word(&self) -> Option<&str> {
        self.more.as_ref().and_then(|m| m.word.as_deref())
    }

    pub fn with_path(mut self, path: Vec<Site>) -> Action {
        if !path.is_empty() {
            self.more.get_or_insert_default().path = path;
        }
        self
    }

    pub fn with_word(mut self, word: String) -> Action {
        self.more.get_or_insert_default().word = Some(word);
        self
    }
}

/// Everything that changes during a game: what persistence stores and a replay rebuilds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub rules_id: String,
    pub players: usize,
    pub seed: u64,
    pub(super) rng: Rng,
    pub cells: Vec<Cell>,
    /// Pieces each seat still has to place, per kind (`u16::MAX`: no limit).
    pub supply: Vec<Vec<u16>>,
    pub scores: Vec<i64>,
    /// Pieces each seat has captured.
    pub captured: Vec<u16>,
    pub(super) turn_total: u32,
    pub(super) to_move: usize,
    /// Passes in a row (chosen or forced).
    pub(super) passes: usize,
    /// Moves in a row without a capture or a `progress` piece moving.
    pub(super) quiet: u32,
    pub(super) last_mover: Option<usize>,
    /// Wrong whole words guessed (`Pick` with `solve`).
    pub(super) misses: u32,
    pub(super) round: u32,
    pub(super) round_wins: Vec<u32>,
    /// The second part of a turn still to play: (rule, from).
    pub(super) part: Option<(u16, Site)>,
    /// A site passed over that may be taken en passant, and the piece that passed.
    pub(super) passed: Option<(Site, Site)>,
    /// Dots boards: the seat that claimed each box; boards of sub-boards: the seat that won
    /// each sub-board ([`DRAWN`] when it filled without a winner); row by row, or [`NOBODY`].
    #[serde(default)]
    pub claims: Vec<u8>,
    /// Where the last move landed (a sub-board it sends the next seat to).
    #[serde(default)]
    pub last_site: Option<Site>,
    /// The piece the last seat gave the next one to place.
    #[serde(default)]
    pub given: Option<u8>,
    /// The hidden code (symbol indices) and the guesses so far with their replies.
    #[serde(default)]
    pub(super) code: Vec<u8>,
    #[serde(default)]
    pub(super) cracks: Vec<(Vec<u8>, u8, u8)>,
    /// The code's maker has set it (`SetCode`).
    #[serde(default)]
    pub(super) code_set: bool,
    /// What each zone holds (card ids, die faces), slot by slot ([`super::zones::slot`]).
    #[serde(default)]
    pub zones: Vec<Vec<u16>>,
    /// The suit named with the last wild card played.
    #[serde(default)]
    pub(super) declared: Option<u8>,
    /// Seats done for the game (stood, bust, out of dice): skipped in turn.
    #[serde(default)]
    pub(super) done: Vec<bool>,
    /// Rolls made this turn (`Throw`).
    #[serde(default)]
    pub(super) throws: u8,
    /// Each seat's score sheet: the points of each category filled.
    #[serde(default)]
    pub(super) sheet: Vec<Vec<Option<i64>>>,
    /// The standing bid: quantity, face, bidder.
    #[serde(default)]
    pub(super) bid: Option<(u16, u8, usize)>,
    /// Each seat's square on the track (0: not yet on it).
    #[serde(default)]
    pub(super) positions: Vec<u16>,
    /// Tricks each seat has won (`trick`).
    #[serde(default)]
    pub(super) tricks: Vec<u16>,
    /// The seat that led the trick in play.
    #[serde(default)]
    pub(super) leader: usize,
    /// Per seat, the suits (bits by suit index) it showed it has none of: it did not follow.
    #[serde(default)]
    pub(super) voids: Vec<u64>,
    /// Position hashes after each move, when the rules look at repetition.
    pub(super) history: Vec<u64>,
    /// Every accepted move: (seat, canonical text).
    pub moves: Vec<(usize, String)>,
    pub(super) scripted_rolls: VecDeque<u8>,
    pub outcome: Option<Outcome>,
    /// Sites the last move changed: only lines through them can be new.
    #[serde(skip)]
    pub(super) changed: Vec<Site>,
}

/// The legal actions of one seat in the current position; the list's buffer is kept when the
/// position changes, so that playouts do not allocate a list per move.
#[derive(Debug, Default)]
pub(super) struct Cache {
    /// Whose actions `list` holds; `None`: stale.
    seat: Option<usize>,
    list: Vec<Action>,
}

impl Cache {
    /// The position changed: the list no longer holds.
    #[inline]
    pub(super) fn clear(&mut self) {
        self.seat = None;
    }
}

impl Clone for Cache {
    // A stale list is not worth copying.
    fn clone(&self) -> Cache {
        match self.seat {
            Some(_) => Cache {
                seat: self.seat,
                list: self.list.clone(),
            },
            None => Cache::default(),
        }
    }
}

/// A game in progress.
#[derive(Debug, Clone)]
pub struct Match {
    pub rules: Arc<Rules>,
    pub state: State,
    /// The legal moves of the seat to move, computed once per position.
    pub(super) cache: Cache,
    /// Which end condition (index in the file) ended the game, for `rules check`.
    pub(super) ended_by: Option<usize>,
}

impl Match {
    /// A new game for `players` seats (the first ones of the rules), randomness from `seed`.
    pub fn new(rules: Arc<Rules>, players: usize, seed: u64) -> Match {
        // The rules stay alive through this handle: no copy of the setup list per game.
        let same = Arc::clone(&rules);
        Match::with_setup(rules, players, seed, &same.file.setup, None)
    }

    /// A new game from a given position (examples), `first` to move.
    pub fn with_setup(
        rules: Arc<Rules>,
        players: usize,
        seed: u64,
        setup: &[super::spec::Setup],
        first: Option<usize>,
    ) -> Match {
        let players = players.clamp(rules.min_players(), rules.max_players());
        let mut rng = Rng::new(seed);
        let mut cells: Vec<Cell> = rules
            .board
            .counts
            .iter()
            .map(|n| Cell {
                count: *n,
                ..Cell::EMPTY
            })
            .collect();
        for (site, seat, kind) in setup::pieces(&rules, setup) {
            if (seat as usize) < players || seat == NOBODY {
                cells[site as usize] = Cell::piece(seat, kind);
            }
        }
        let supply = (0..players)
            .map(|_| {
                rules
                    .kinds
                    .iter()
                    .map(|k| k.supply.unwrap_or(u16::MAX))
                    .collect()
            })
            .collect();
        let code: Vec<u8> = rules.file.code.as_ref().map_or(Vec::new(), |c| {
            let n = c.symbols.chars().count().max(1);
            (0..c.length).map(|_| rng.below(n) as u8).collect()
        });
        let state = State {
            rules_id: rules.id().to_owned(),
            players,
            seed,
            rng,
            cells,
            supply,
            scores: vec![0; players],
            captured: vec![0; players],
            turn_total: 0,
            to_move: first.unwrap_or(0).min(players - 1),
            passes: 0,
            quiet: 0,
            last_mover: None,
            misses: 0,
            round: 0,
            round_wins: vec![0; players],
            part: None,
            passed: None,
            claims: {
                let (bw, bh) = if rules.board.shape == super::board::Shape::Dots {
                    rules.board.boxes()
                } else {
                    rules.board.block_grid()
                };
                vec![NOBODY; bw as usize * bh as usize]
            },
            last_site: None,
            given: None,
            code,
            cracks: Vec::new(),
            code_set: false,
            zones: Vec::new(),
            declared: None,
            done: vec![false; players],
            throws: 0,
            sheet: vec![
                vec![None; rules.file.sheet.as_ref().map_or(0, |s| s.categories.len())];
                players
            ],
            bid: None,
            positions: vec![0; players],
            tricks: vec![0; players],
            leader: 0,
            voids: vec![0; players],
            history: Vec::new(),
            moves: Vec::new(),
            scripted_rolls: VecDeque::new(),
            outcome: None,
            changed: Vec::new(),
        };
        let mut m = Match {
            rules,
            state,
            cache: Cache::default(),
            ended_by: None,
        };
        super::zones::start(&mut m, &[]);
        if turn::tracks_history(&m.rules) {
            let h = turn::position_hash(&m);
            m.state.history.push(h);
        }
        let mut events = Vec::new();
        m.settle(&mut events);
        m
    }

    /// Restores a stored game; `None` if the state belongs to other rules or does not fit them.
    pub fn restore(rules: Arc<Rules>, mut state: State) -> Option<Match> {
        // Stored before zones existed: these were absent, and are empty for such games.
        if state.done.is_empty() {
            state.done = vec![false; state.players];
        }
        if state.positions.is_empty() {
            state.positions = vec![0; state.players];
        }
        if state.tricks.is_empty() {
            state.tricks = vec![0; state.players];
        }
        if state.sheet.is_empty() {
            let n = rules.file.sheet.as_ref().map_or(0, |s| s.categories.len());
            state.sheet = vec![vec![None; n]; state.players];
        }
        let fits =
            state.rules_id == rules.id()
                && state.cells.len() == rules.board.len()
                && state.players >= rules.min_players()
                && state.players <= rules.max_players()
                && state.to_move < state.players
                && state.scores.len() == state.players
                && state.captured.len() == state.players
                && state.round_wins.len() == state.players
                && state.supply.len() == state.players
                && state.supply.iter().all(|s| s.len() == rules.kinds.len())
                && state.cells.iter().all(|c| {
                    c.is_empty()
                        || ((c.kind as usize) < rules.kinds.len()
                            && (c.owner == NOBODY || (c.owner as usize) < state.players))
                })
                && state.part.is_none_or(|(r, s)| {
                    (r as usize) < rules.moves.len() && (s as usize) < rules.board.len()
                })
                && state.zones.len() == rules.layout.slots
                && state.zones.iter().flatten().all(|c| {
                    rules.layout.cards.is_empty() || (*c as usize) < rules.layout.cards.len()
                })
                && state.done.len() == state.players
                && state.positions.len() == state.players
                && state.tricks.len() == state.players
                && state.leader < state.players
                && state.sheet.len() == state.players
                && state.bid.is_none_or(|(_, _, by)| by < state.players);
        fits.then(|| {
            let mut m = Match {
                rules,
                state,
                cache: Cache::default(),
                ended_by: None,
            };
            m.refresh();
            m
        })
    }

    /// Fixes the word of the zone that holds one (examples and tests).
    pub fn set_word(&mut self, word: &str) -> Result<(), String> {
        super::reveal::set_word(self, word)
    }

    /// Fixes the hidden code (examples and tests); `false` if it is not a code of the rules.
    pub fn set_code(&mut self, code: &str) -> bool {
        match chance::read_code(&self.rules, code) {
            Some(c) => {
                self.state.code = c;
                true
            }
            None => false,
        }
    }

    /// Fixes the next dice values (examples and tests). Before the first move, dice that the
    /// game rolled at the start are rolled again from them.
    pub fn script_rolls(&mut self, rolls: &[u8]) {
        self.state.scripted_rolls = rolls.iter().copied().collect();
        let rolled_at_start =
            (0..self.rules.file.zones.len()).any(|z| super::zones::rolled_at_start(&self.rules, z));
        if rolled_at_start && self.state.moves.is_empty() {
            let _ = self.stack_deck(&[]);
        }
    }

    /// Deals again with these cards on top of the deck (examples and tests); `Err` names a
    /// card the deck does not have. Only before the first move.
    pub fn stack_deck(&mut self, cards: &[String]) -> Result<(), String> {
        if !self.state.moves.is_empty() {
            return Err("the game has begun".into());
        }
        super::zones::stack(self, cards)?;
        let mut events = Vec::new();
        self.settle(&mut events);
        Ok(())
    }

    pub fn seat_name(&self, seat: usize) -> &str {
        self.rules.seats().get(seat).map_or("?", String::as_str)
    }

    pub fn seat_of(&self, name: &str) -> Option<usize> {
        self.rules
            .seats()
            .iter()
            .take(self.state.players)
            .position(|s| s.eq_ignore_ascii_case(name))
    }

    /// The index (in the file's `end`) of the condition that ended the game, if one did.
    pub fn ended_by(&self) -> Option<usize> {
        self.ended_by
    }

    pub fn outcome(&self) -> Option<&Outcome> {
        self.state.outcome.as_ref()
    }

    pub fn is_over(&self) -> bool {
        self.state.outcome.is_some()
    }

    /// The seats expected to move now (several while a simultaneous round is open).
    pub fn to_move(&self) -> Vec<usize> {
        if self.is_over() {
            return Vec::new();
        }
        if self.rules.file.turns == Turns::Simultaneous {
            super::reveal::waiting(self)
        } else {
            vec![self.state.to_move]
        }
    }

    /// The first of [`Match::to_move`], without building the list (playouts ask every move).
    pub fn first_to_move(&self) -> Option<usize> {
        if self.is_over() {
            None
        } else if self.rules.file.turns == Turns::Simultaneous {
            super::reveal::waiting(self).first().copied()
        } else {
            Some(self.state.to_move)
        }
    }

    /// Whether `text` has the shape of a move in this game (legal or not): a bare move in the
    /// chat is taken as one only then.
    pub fn looks_like_move(&self, text: &str) -> bool {
        notation::looks_like_move(self, text)
    }

    /// Plays `text` for `seat`. Several parts of one turn may be typed together, separated
    /// by `/` (`d1-d7/g7`); if any is refused, none is played.
    pub fn play(&mut self, seat: usize, text: &str) -> Result<Played, MoveError> {
        if self.is_over() {
            return refuse("The game is over.");
        }
        if seat >= self.state.players {
            return refuse("You have no seat in this game.");
        }
        if !self.to_move().contains(&seat) {
            return if self.rules.file.turns == Turns::Simultaneous {
                refuse("You have already chosen this round.")
            } else {
                refuse(format!(
                    "It is not your turn: {} is to move.",
                    self.seat_name(self.state.to_move)
                ))
            };
        }
        let parts: Vec<&str> = text.split('/').map(str::trim).collect();
        if parts.len() > 1 {
            let before = self.clone();
            let mut played = Played {
                text: String::new(),
                events: Vec::new(),
                secret: false,
            };
            let mut texts = Vec::new();
            for (i, part) in parts.iter().enumerate() {
                if i > 0
                    && (self.state.to_move != seat || self.state.part.is_none() || self.is_over())
                {
                    *self = before;
                    return refuse(format!("'{}' has more parts than one turn.", text.trim()));
                }
                match self.play_one(seat, part) {
                    Ok(p) => {
                        played.secret |= p.secret;
                        texts.push(p.text);
                        played.events.extend(p.events);
                    }
                    Err(e) => {
                        *self = before;
                        return Err(e);
                    }
                }
            }
            played.text = texts.join("/");
            // One turn, one line in the record.
            let n = texts.len();
            let keep = self.state.moves.len().saturating_sub(n);
            self.state.moves.truncate(keep);
            self.state.moves.push((seat, played.text.clone()));
            return Ok(played);
        }
        self.play_one(seat, text)
    }

    fn play_one(&mut self, seat: usize, text: &str) -> Result<Played, MoveError> {
        let action = notation::read(self, seat, text)?;
        let canonical = notation::write(self, &action);
        let secret = super::hidden::is_secret(self, &action);
        let mut events = Vec::new();
        self.apply(seat, &action, &mut events);
        self.state.moves.push((seat, canonical.clone()));
        self.settle(&mut events);
        Ok(Played {
            text: canonical,
            events,
            secret,
        })
    }

    /// Every legal move of `seat` now, canonically spelt.
    pub fn legal_moves(&self, seat: usize) -> Vec<String> {
        if !self.to_move().contains(&seat) {
            return Vec::new();
        }
        self.legal(seat)
            .iter()
            .map(|a| notation::write(self, a))
            .collect()
    }

    /// `seat` gives up: the others win (or, alone, nobody does).
    pub fn resign(&mut self, seat: usize) {
        if self.is_over() {
            return;
        }
        let reason = format!("{} resigned", self.seat_name(seat));
        self.others_win(seat, reason);
    }

    /// `seat` is out: every other seat wins (alone, nobody does).
    pub(super) fn others_win(&mut self, seat: usize, reason: String) {
        let others: Vec<usize> = (0..self.state.players).filter(|s| *s != seat).collect();
        self.finish(if others.is_empty() {
            Outcome::Nobody { reason }
        } else {
            Outcome::Win {
                seats: others,
                reason,
            }
        });
    }

    pub(super) fn finish(&mut self, outcome: Outcome) {
        self.state.outcome = Some(outcome);
        self.cache.clear();
    }

    /// `seat`'s time ran out: the rules say whether it forfeits or is skipped.
    pub fn timeout(&mut self, seat: usize) -> TimeoutEffect {
        let rule = self
            .rules
            .clock()
            .map_or(OnTimeout::Forfeit, |c| c.on_timeout);
        if rule == OnTimeout::Skip && self.rules.file.turns == Turns::RoundRobin {
            self.state.turn_total = 0;
            self.state.part = None;
            self.advance();
            let mut events = Vec::new();
            self.settle(&mut events);
            return TimeoutEffect::Skipped;
        }
        self.resign(seat);
        let late = format!("{} ran out of time", self.seat_name(seat));
        if let Some(Outcome::Win { reason, .. } | Outcome::Nobody { reason }) =
            self.state.outcome.as_mut()
        {
            *reason = late;
        }
        TimeoutEffect::Forfeited
    }

    /// The board and the state as text (for an XEP-0393 preformatted block); `viewer` sees its
    /// own hidden information, `None` is a spectator.
    pub fn render(&self, viewer: Option<usize>) -> String {
        super::render::render(self, viewer)
    }

    /// What `seat` alone may see (its secret choice, its hidden pieces, the code it set): for a
    /// private message. `None` when the seat has nothing the room does not see.
    pub fn private_view(&self, seat: usize) -> Option<String> {
        super::render::private(self, seat)
    }

    /// The view of one seat (`Some(seat)`: the board with what that seat may see) or of the
    /// room (`None`: the public part only). The stored state keeps every secret; no view shows
    /// another seat's.
    pub fn view(&self, seat: Option<usize>) -> String {
        super::render::render(self, seat)
    }

    /// Whether some moves of this game are secret (a hidden piece placed, a code set).
    pub fn has_secret_moves(&self) -> bool {
        super::hidden::has_secret_moves(&self.rules)
    }

    /// Whether `text` from `seat`, typed where the room would read it, would give away a
    /// secret: a choice in a simultaneous round, or a move that places a hidden piece or sets
    /// the code (or has the shape of one). Such text is withheld and treated as sent privately.
    pub fn would_reveal(&self, seat: usize, text: &str) -> bool {
        if !self.looks_like_move(text) {
            return false;
        }
        if self.rules.simultaneous() {
            return true;
        }
        if !super::hidden::has_secret_moves(&self.rules) {
            return false;
        }
        match notation::read(self, seat, text) {
            Ok(a) => super::hidden::is_secret(self, &a),
            // Refused: out of turn or while secret moves are due, it might still name where a
            // secret would go.
            Err(_) => {
                !self.to_move().contains(&seat)
                    || self
                        .legal(seat)
                        .iter()
                        .any(|a| super::hidden::is_secret(self, a))
            }
        }
    }

    /// One line: who is to move, or how it ended (seat names; callers add nicks).
    pub fn status_line(&self) -> String {
        match &self.state.outcome {
            Some(Outcome::Win { seats, reason }) => {
                let names: Vec<&str> = seats.iter().map(|s| self.seat_name(*s)).collect();
                format!("{} won: {reason}.", names.join(" and "))
            }
            Some(Outcome::Draw { reason }) => format!("Draw: {reason}."),
            Some(Outcome::Nobody { reason }) => format!("Game over, nobody won: {reason}."),
            None => {
                let names: Vec<&str> = self.to_move().iter().map(|s| self.seat_name(*s)).collect();
                if self.rules.file.turns == Turns::Simultaneous {
                    format!("Waiting for {} to choose.", names.join(", "))
                } else if self.state.part.is_some() {
                    format!("{} to finish the move.", names.join(", "))
                } else {
                    format!("{} to move.", names.join(", "))
                }
            }
        }
    }

    // ---- the turn loop ----

    /// Legal actions of `seat` (assumed on move).
    pub(super) fn legal(&self, seat: usize) -> Vec<Action> {
        if self.cache.seat == Some(seat) {
            return self.cache.list.clone();
        }
        turn::legal(self, seat)
    }

    pub(super) fn legal_ref(&mut self, seat: usize) -> &[Action] {
        if self.cache.seat != Some(seat) {
            let mut list = std::mem::take(&mut self.cache.list);
            turn::legal_into(self, seat, &mut list);
            self.cache.list = list;
            self.cache.seat = Some(seat);
        }
        &self.cache.list
    }

    /// Applies an action of `seat` and judges the position.
    pub(super) fn apply(&mut self, seat: usize, action: &Action, events: &mut Vec<String>) {
        self.cache.clear();
        self.state.changed.clear();
        let rule = &self.rules.moves[action.rule as usize];
        let seat_move = rule.kind.is_none()
            && matches!(
                rule.spec,
                Move::Pick { .. }
                    | Move::Crack
                    | Move::SetCode
                    | Move::Shoot { .. }
                    | Move::Roll { .. }
                    | Move::Hold
                    | Move::PlayCard { .. }
                    | Move::Draw { .. }
                    | Move::Stand
                    | Move::Throw { .. }
                    | Move::Fill
                    | Move::Bid { .. }
                    | Move::Challenge
                    | Move::Advance
            );
        let ends_turn = if seat_move {
            // A move made is not a pass (a seat that cannot move passes between them).
            self.state.passes = 0;
            chance::apply(self, seat, action, events)
        } else {
            let rules = self.rules.clone();
            let applied = movement::apply(self, &rules, seat, action);
            let extra = turn::after_move(self, &rules, seat, action, &applied, events);
            self.state.part.is_none() && !extra
        };
        self.state.last_mover = Some(seat);
        if turn::tracks_history(&self.rules) && self.state.part.is_none() {
            let next = if ends_turn && self.rules.file.turns == Turns::RoundRobin {
                (self.state.to_move + 1) % self.state.players.max(1)
            } else {
                self.state.to_move
            };
            let saved = self.state.to_move;
            self.state.to_move = next;
            let h = turn::position_hash(self);
            self.state.to_move = saved;
            self.state.history.push(h);
        }
        end::judge(self, seat);
        if ends_turn && self.rules.file.turns == Turns::RoundRobin && !self.is_over() {
            self.advance();
        }
    }

    pub(super) fn advance(&mut self) {
        self.cache.clear();
        let n = self.state.players.max(1);
        let mut next = (self.state.to_move + 1) % n;
        // Seats done for the game are skipped (unless every seat is).
        for _ in 0..n {
            if !self.state.done.get(next).copied().unwrap_or(false) {
                break;
            }
            next = (next + 1) % n;
        }
        self.state.to_move = next;
    }

    /// After a move: the seat to move must be able to move; apply the no-move rule until one
    /// can. Leaves the legal moves cached.
    pub(super) fn settle(&mut self, events: &mut Vec<String>) {
        if self.rules.file.turns != Turns::RoundRobin {
            return;
        }
        while !self.is_over() {
            let seat = self.state.to_move;
            if !self.legal_ref(seat).is_empty() {
                return;
            }
            end::no_move(self, seat, events);
        }
    }

    /// Recomputes what is not stored (after a restore).
    fn refresh(&mut self) {
        self.cache.clear();
    }

    /// A copy in which `seat` knows only what it may: for a computer player's search.
    pub fn determinize(&self, seat: usize, rng: &mut Rng) -> Match {
        chance::determinize(self, seat, rng)
    }

    /// Plays a legal move chosen by index (for playouts); false when there is none.
    pub(super) fn play_nth(&mut self, seat: usize, n: usize) -> bool {
        let legal = self.legal_ref(seat);
        let Some(action) = legal.get(n % legal.len().max(1)).cloned() else {
            return false;
        };
        let mut events = Vec::new();
        self.apply(seat, &action, &mut events);
        self.settle(&mut events);
        true
    }

    /// Plays a uniformly random legal move (playouts); false when there is none. Playouts
    /// keep no record of the moves' text.
    pub(super) fn play_random(&mut self, seat: usize, rng: &mut Rng) -> bool {
        let legal = self.legal_ref(seat);
        if legal.is_empty() {
            return false;
        }
        let action = legal[rng.below(legal.len())].clone();
        let mut events = Vec::new();
        self.apply(seat, &action, &mut events);
        self.settle(&mut events);
        true
    }

    pub(super) fn legal_count(&self, seat: usize) -> usize {
        if self.to_move().contains(&seat) {
            self.legal(seat).len()
        } else {
            0
        }
    }

    // ---- reading, for the units ----

    #[inline]
    pub fn cell(&self, s: Site) -> Cell {
        self.state
            .cells
            .get(s as usize)
            .copied()
            .unwrap_or(Cell::EMPTY)
    }

    #[inline]
    pub(super) fn set(&mut self, s: Site, cell: Cell) {
        if let Some(slot) = self.state.cells.get_mut(s as usize) {
            *slot = cell;
            if !cell.is_empty() {
                self.state.changed.push(s);
            }
        }
    }

    /// Pieces of `seat` on the board.
    pub fn pieces_of(&self, seat: usize) -> usize {
        self.state
            .cells
            .iter()
            .filter(|c| !c.is_empty() && c.owner as usize == seat)
            .count()
    }

    pub(super) fn turn_total(&self) -> u32 {
        self.state.turn_total
    }
}

/// `NONE` re-exported for the units' convenience.
pub const NO_SITE: Site = NONE;
