//! The generic interpreter: a [`Match`] of any [`Rules`], fed with moves as players type them.
//! Time is never read here: clocks belong to the caller, which reports timeouts.

use std::collections::VecDeque;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::Rules;
use super::rng::Rng;
use super::rules::{
    EndSpec, Example, Expect, MoveSpec, NoMove, OnTimeout, Turns, Verdict, cell_name, parse_cell,
};

/// One piece on the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Piece {
    pub seat: u8,
    pub king: bool,
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

fn refuse<T>(reason: impl Into<String>) -> Result<T, MoveError> {
    Err(MoveError(reason.into()))
}

/// What an accepted move did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Played {
    /// The move in its canonical spelling.
    pub text: String,
    /// What followed, in plain sentences (dice rolled, a round's result, passes…).
    pub events: Vec<String>,
}

/// What a timeout did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutEffect {
    Forfeited,
    Skipped,
}

/// A parsed move.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Mv {
    Place(u8, u8),
    Drop(u8),
    Path(Vec<(u8, u8)>),
    Take { pile: usize, n: u32 },
    Choose(String),
    Guess(String),
    Roll,
    Hold,
}

/// Everything that changes during a game: what persistence stores and a replay rebuilds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub rules_id: String,
    pub players: usize,
    pub seed: u64,
    rng: Rng,
    cells: Vec<Option<Piece>>,
    piles: Vec<u32>,
    pub scores: Vec<i64>,
    turn_total: u32,
    to_move: usize,
    passes: usize,
    quiet: u32,
    last_taker: Option<usize>,
    word: String,
    guessed: Vec<char>,
    misses: u32,
    pending: Vec<Option<String>>,
    round: u32,
    round_wins: Vec<u32>,
    /// Every accepted move: (seat, canonical text).
    pub moves: Vec<(usize, String)>,
    scripted_rolls: VecDeque<u8>,
    pub outcome: Option<Outcome>,
    /// Cells the last move changed: only lines through them can be new.
    #[serde(skip)]
    changed: Vec<(u8, u8)>,
}

/// A game in progress.
#[derive(Debug, Clone)]
pub struct Match {
    pub rules: Arc<Rules>,
    pub state: State,
}

impl Match {
    /// A new game for `players` seats (the first ones of the rules), randomness from `seed`.
    pub fn new(rules: Arc<Rules>, players: usize, seed: u64) -> Match {
        let players = players.clamp(rules.min_players(), rules.max_players());
        let mut rng = Rng::new(seed);
        let (w, h) = dims(&rules);
        let mut cells = vec![None; w as usize * h as usize];
        if let Some(board) = &rules.file.board {
            for (cell, seat) in &board.setup {
                if let (Some((x, y)), Some(s)) = (parse_cell(cell, w, h), seat_index(&rules, seat))
                {
                    cells[y as usize * w as usize + x as usize] = Some(Piece {
                        seat: s as u8,
                        king: false,
                    });
                }
            }
            for (seat, rows) in &board.dark_rows {
                let Some(s) = seat_index(&rules, seat) else {
                    continue;
                };
                for row in rows.iter().filter(|r| **r >= 1 && **r <= h) {
                    let y = row - 1;
                    for x in 0..w {
                        if (x + y) % 2 == 0 {
                            cells[y as usize * w as usize + x as usize] = Some(Piece {
                                seat: s as u8,
                                king: false,
                            });
                        }
                    }
                }
            }
        }
        let word = if rules.words.is_empty() {
            String::new()
        } else {
            rules.words[rng.below(rules.words.len())].clone()
        };
        let state = State {
            rules_id: rules.id().to_owned(),
            players,
            seed,
            rng,
            cells,
            piles: rules.file.piles.clone().unwrap_or_default(),
            scores: vec![0; players],
            turn_total: 0,
            to_move: 0,
            passes: 0,
            quiet: 0,
            last_taker: None,
            word,
            guessed: Vec::new(),
            misses: 0,
            pending: vec![None; players],
            round: 0,
            round_wins: vec![0; players],
            moves: Vec::new(),
            scripted_rolls: VecDeque::new(),
            outcome: None,
            changed: Vec::new(),
        };
        let mut m = Match { rules, state };
        let mut events = Vec::new();
        m.settle(&mut events);
        m
    }

    /// Restores a stored game; `None` if the state belongs to other rules.
    pub fn restore(rules: Arc<Rules>, state: State) -> Option<Match> {
        (state.rules_id == rules.id()).then_some(Match { rules, state })
    }

    /// Fixes the hidden word (examples and tests).
    pub fn set_word(&mut self, word: &str) {
        self.state.word = word.to_lowercase();
    }

    /// Fixes the next dice values (examples and tests).
    pub fn script_rolls(&mut self, rolls: &[u8]) {
        self.state.scripted_rolls = rolls.iter().copied().collect();
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
            (0..self.state.players)
                .filter(|s| self.state.pending[*s].is_none())
                .collect()
        } else {
            vec![self.state.to_move]
        }
    }

    /// Whether `text` has the shape of a move in this game (legal or not): a bare move in the
    /// chat is taken as one only then.
    pub fn looks_like_move(&self, text: &str) -> bool {
        self.parse(text).is_some()
    }

    /// Plays `text` for `seat`.
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
        let Some(mv) = self.parse(text) else {
            return refuse(format!(
                "'{}' is not a move here. {}",
                text.trim(),
                self.move_hint()
            ));
        };
        self.check(seat, &mv)?;
        let canonical = self.canonical(&mv);
        let mut events = Vec::new();
        self.apply(seat, &mv, &mut events);
        self.state.moves.push((seat, canonical.clone()));
        self.settle(&mut events);
        Ok(Played {
            text: canonical,
            events,
        })
    }

    /// Every legal move of `seat` now, canonically spelt.
    pub fn legal_moves(&self, seat: usize) -> Vec<String> {
        if !self.to_move().contains(&seat) {
            return Vec::new();
        }
        self.legal(seat).iter().map(|m| self.canonical(m)).collect()
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
    fn others_win(&mut self, seat: usize, reason: String) {
        let others: Vec<usize> = (0..self.state.players).filter(|s| *s != seat).collect();
        self.state.outcome = Some(if others.is_empty() {
            Outcome::Nobody { reason }
        } else {
            Outcome::Win {
                seats: others,
                reason,
            }
        });
    }

    /// `seat`'s time ran out: the rules say whether it forfeits or is skipped.
    pub fn timeout(&mut self, seat: usize) -> TimeoutEffect {
        let rule = self
            .rules
            .clock()
            .map_or(OnTimeout::Forfeit, |c| c.on_timeout);
        if rule == OnTimeout::Skip && self.rules.file.turns == Turns::RoundRobin {
            self.state.turn_total = 0;
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
                } else {
                    format!("{} to move.", names.join(", "))
                }
            }
        }
    }

    // ---- reading ----

    pub(super) fn dims(&self) -> (u8, u8) {
        dims(&self.rules)
    }

    pub(super) fn cell(&self, x: u8, y: u8) -> Option<Piece> {
        let (w, h) = self.dims();
        if x >= w || y >= h {
            return None;
        }
        self.state.cells[y as usize * w as usize + x as usize]
    }

    fn set(&mut self, x: u8, y: u8, piece: Option<Piece>) {
        let (w, _) = self.dims();
        let i = y as usize * w as usize + x as usize;
        if let Some(slot) = self.state.cells.get_mut(i) {
            *slot = piece;
            if piece.is_some() {
                self.state.changed.push((x, y));
            }
        }
    }

    pub(super) fn piles(&self) -> &[u32] {
        &self.state.piles
    }

    pub(super) fn turn_total(&self) -> u32 {
        self.state.turn_total
    }

    pub(super) fn word_shown(&self) -> String {
        self.state
            .word
            .chars()
            .map(|c| {
                if self.state.guessed.contains(&c) {
                    c.to_string()
                } else {
                    "_".into()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub(super) fn word(&self) -> &str {
        &self.state.word
    }

    pub(super) fn misses(&self) -> (Vec<char>, u32) {
        let wrong: Vec<char> = self
            .state
            .guessed
            .iter()
            .filter(|c| !self.state.word.contains(**c))
            .copied()
            .collect();
        let max = self.rules.file.word.as_ref().map_or(0, |w| w.max_misses);
        (wrong, max)
    }

    pub(super) fn chosen(&self) -> &[Option<String>] {
        &self.state.pending
    }

    pub(super) fn round_info(&self) -> (u32, &[u32]) {
        (self.state.round, &self.state.round_wins)
    }

    fn has_move(&self, f: impl Fn(&MoveSpec) -> bool) -> bool {
        self.rules.file.moves.iter().any(f)
    }

    fn has_end(&self, f: impl Fn(&EndSpec) -> bool) -> bool {
        self.rules.file.end.iter().any(f)
    }

    /// A reminder of the move syntax.
    fn move_hint(&self) -> String {
        let kinds: Vec<String> = self.rules.file.moves.iter().map(describe_move).collect();
        format!("Moves look like: {}", kinds.join("; "))
    }

    // ---- parsing ----

    fn parse(&self, text: &str) -> Option<Mv> {
        let t = text.trim().to_lowercase();
        let (w, h) = self.dims();
        for spec in &self.rules.file.moves {
            let mv = match spec {
                MoveSpec::Place { .. } => parse_cell(&t, w, h).map(|(x, y)| Mv::Place(x, y)),
                MoveSpec::Drop => t
                    .parse::<u8>()
                    .ok()
                    .filter(|c| *c >= 1 && *c <= w)
                    .map(|c| Mv::Drop(c - 1))
                    .or_else(|| {
                        let c = t.chars().next()?;
                        (t.len() == 1 && c.is_ascii_lowercase() && (c as u8 - b'a') < w)
                            .then(|| Mv::Drop(c as u8 - b'a'))
                    }),
                MoveSpec::Diagonal { .. } => {
                    let cells: Option<Vec<(u8, u8)>> = t
                        .split(['-', 'x', ' '])
                        .filter(|p| !p.is_empty())
                        .map(|p| parse_cell(p, w, h))
                        .collect();
                    cells.filter(|c| c.len() >= 2).map(Mv::Path)
                }
                MoveSpec::Take { .. } => parse_take(&t),
                MoveSpec::Choose { options, .. } => {
                    let matching: Vec<&String> = options
                        .iter()
                        .filter(|o| !t.is_empty() && o.to_lowercase().starts_with(&t))
                        .collect();
                    match matching.as_slice() {
                        [one] => Some(Mv::Choose((*one).clone())),
                        _ => options
                            .iter()
                            .find(|o| o.to_lowercase() == t)
                            .map(|o| Mv::Choose(o.clone())),
                    }
                }
                MoveSpec::Guess => (!t.is_empty() && t.chars().all(|c| c.is_ascii_lowercase()))
                    .then(|| Mv::Guess(t.clone())),
                MoveSpec::Roll { .. } => matches!(t.as_str(), "roll" | "r").then_some(Mv::Roll),
                MoveSpec::Hold => matches!(t.as_str(), "hold" | "h").then_some(Mv::Hold),
            };
            if mv.is_some() {
                return mv;
            }
        }
        None
    }

    fn canonical(&self, mv: &Mv) -> String {
        match mv {
            Mv::Place(x, y) => cell_name(*x, *y),
            Mv::Drop(c) => (c + 1).to_string(),
            Mv::Path(cells) => {
                let jump = cells.windows(2).any(|p| p[0].0.abs_diff(p[1].0) == 2);
                let sep = if jump { "x" } else { "-" };
                cells
                    .iter()
                    .map(|(x, y)| cell_name(*x, *y))
                    .collect::<Vec<_>>()
                    .join(sep)
            }
            Mv::Take { pile, n } => format!("take {n} from {}", pile + 1),
            Mv::Choose(o) => o.clone(),
            Mv::Guess(g) => g.clone(),
            Mv::Roll => "roll".into(),
            Mv::Hold => "hold".into(),
        }
    }

    // ---- legality ----

    fn spec_of(&self, mv: &Mv) -> Option<&MoveSpec> {
        self.rules.file.moves.iter().find(|s| {
            matches!(
                (s, mv),
                (MoveSpec::Place { .. }, Mv::Place(..))
                    | (MoveSpec::Drop, Mv::Drop(_))
                    | (MoveSpec::Diagonal { .. }, Mv::Path(_))
                    | (MoveSpec::Take { .. }, Mv::Take { .. })
                    | (MoveSpec::Choose { .. }, Mv::Choose(_))
                    | (MoveSpec::Guess, Mv::Guess(_))
                    | (MoveSpec::Roll { .. }, Mv::Roll)
                    | (MoveSpec::Hold, Mv::Hold)
            )
        })
    }

    fn check(&self, seat: usize, mv: &Mv) -> Result<(), MoveError> {
        let Some(spec) = self.spec_of(mv) else {
            return refuse("That kind of move is not part of this game.");
        };
        let (_, h) = self.dims();
        match (spec, mv) {
            (MoveSpec::Place { flank }, Mv::Place(x, y)) => {
                if self.cell(*x, *y).is_some() {
                    return refuse(format!("{} is taken.", cell_name(*x, *y)));
                }
                if *flank && self.flips(seat, *x, *y).is_empty() {
                    return refuse(format!(
                        "{} encloses none of the opponent's pieces.",
                        cell_name(*x, *y)
                    ));
                }
                Ok(())
            }
            (MoveSpec::Drop, Mv::Drop(c)) => {
                if self.cell(*c, h - 1).is_some() {
                    return refuse(format!("Column {} is full.", c + 1));
                }
                Ok(())
            }
            (MoveSpec::Diagonal { .. }, Mv::Path(path)) => self.check_path(seat, path),
            (MoveSpec::Take { min, max }, Mv::Take { pile, n }) => {
                let Some(count) = self.state.piles.get(*pile) else {
                    return refuse(format!("There is no pile {}.", pile + 1));
                };
                if *count == 0 {
                    return refuse(format!("Pile {} is empty.", pile + 1));
                }
                if n < min {
                    return refuse(format!("Take at least {min}."));
                }
                if let Some(max) = max
                    && n > max
                {
                    return refuse(format!("Take at most {max}."));
                }
                if n > count {
                    return refuse(format!("Pile {} has only {count}.", pile + 1));
                }
                Ok(())
            }
            (MoveSpec::Guess, Mv::Guess(g)) => {
                if g.len() == 1 {
                    let c = g.chars().next().unwrap_or('?');
                    if self.state.guessed.contains(&c) {
                        return refuse(format!("'{c}' has been guessed already."));
                    }
                }
                Ok(())
            }
            (MoveSpec::Hold, Mv::Hold) => {
                if self.state.turn_total == 0 {
                    return refuse("Roll at least once before you hold.");
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn check_path(&self, seat: usize, path: &[(u8, u8)]) -> Result<(), MoveError> {
        let (x, y) = path[0];
        match self.cell(x, y) {
            Some(p) if p.seat as usize == seat => {}
            _ => return refuse(format!("You have no piece on {}.", cell_name(x, y))),
        }
        let legal = self.diagonal_moves(seat);
        if legal.iter().any(|p| p == path) {
            return Ok(());
        }
        let jumps_exist = legal
            .iter()
            .any(|p| p.len() > 1 && p[0].0.abs_diff(p[1].0) == 2);
        let is_step = path.len() == 2 && path[0].0.abs_diff(path[1].0) == 1;
        if jumps_exist && is_step {
            return refuse("You must capture: a jump is available.");
        }
        if legal
            .iter()
            .any(|p| p.len() > path.len() && p.starts_with(path))
        {
            return refuse(format!(
                "The jump must go on from {}.",
                path.last()
                    .map_or(String::new(), |(x, y)| cell_name(*x, *y))
            ));
        }
        refuse(format!(
            "{} is not a legal move.",
            self.canonical(&Mv::Path(path.to_vec()))
        ))
    }

    /// The cells `seat` would turn over by placing at (x, y), in all eight directions.
    fn flips(&self, seat: usize, x: u8, y: u8) -> Vec<(u8, u8)> {
        let mut all = Vec::new();
        for (dx, dy) in DIRECTIONS {
            let mut line = Vec::new();
            let (mut cx, mut cy) = (x as i16 + dx, y as i16 + dy);
            while let Some(p) = self.at(cx, cy) {
                if p.seat as usize == seat {
                    all.extend(line.iter().copied());
                    break;
                }
                line.push((cx as u8, cy as u8));
                cx += dx;
                cy += dy;
            }
        }
        all
    }

    fn at(&self, x: i16, y: i16) -> Option<Piece> {
        if x < 0 || y < 0 || x > u8::MAX as i16 || y > u8::MAX as i16 {
            return None;
        }
        self.cell(x as u8, y as u8)
    }

    fn on_board(&self, x: i16, y: i16) -> bool {
        let (w, h) = self.dims();
        x >= 0 && y >= 0 && x < w as i16 && y < h as i16
    }

    /// Every legal diagonal move of `seat`: the maximal jump sequences if any exist, else steps.
    fn diagonal_moves(&self, seat: usize) -> Vec<Vec<(u8, u8)>> {
        let (w, h) = self.dims();
        let promote = self.has_move(|m| matches!(m, MoveSpec::Diagonal { promote: true }));
        let mut jumps = Vec::new();
        let mut steps = Vec::new();
        for y in 0..h {
            for x in 0..w {
                let Some(p) = self.cell(x, y) else { continue };
                if p.seat as usize != seat {
                    continue;
                }
                let mut path = vec![(x, y)];
                let mut taken = Vec::new();
                self.jump_paths(p, &mut path, &mut taken, promote, &mut jumps);
                for (dx, dy) in self.forward(p) {
                    let (nx, ny) = (x as i16 + dx, y as i16 + dy);
                    if self.on_board(nx, ny) && self.at(nx, ny).is_none() {
                        steps.push(vec![(x, y), (nx as u8, ny as u8)]);
                    }
                }
            }
        }
        if jumps.is_empty() { steps } else { jumps }
    }

    /// The diagonal directions a piece moves in: forward only for men.
    fn forward(&self, p: Piece) -> Vec<(i16, i16)> {
        let up = if p.seat == 0 { 1 } else { -1 };
        if p.king {
            vec![(1, 1), (-1, 1), (1, -1), (-1, -1)]
        } else {
            vec![(1, up), (-1, up)]
        }
    }

    fn jump_paths(
        &self,
        piece: Piece,
        path: &mut Vec<(u8, u8)>,
        taken: &mut Vec<(u8, u8)>,
        promote: bool,
        out: &mut Vec<Vec<(u8, u8)>>,
    ) {
        let Some(&(x, y)) = path.last() else { return };
        let (_, h) = self.dims();
        let mut extended = false;
        for (dx, dy) in self.forward(piece) {
            let (mx, my) = (x as i16 + dx, y as i16 + dy);
            let (lx, ly) = (x as i16 + 2 * dx, y as i16 + 2 * dy);
            if !self.on_board(lx, ly) {
                continue;
            }
            let over = (mx as u8, my as u8);
            let land = (lx as u8, ly as u8);
            let enemy = self
                .at(mx, my)
                .is_some_and(|p| p.seat != piece.seat && !taken.contains(&over));
            // The starting cell is empty once the piece has left it.
            let free = self.at(lx, ly).is_none() || land == path[0];
            if !enemy || !free {
                continue;
            }
            extended = true;
            path.push(land);
            taken.push(over);
            let crowned = promote && !piece.king && (ly == 0 || ly == h as i16 - 1);
            if crowned {
                // Reaching the far row ends the move.
                out.push(path.clone());
            } else {
                self.jump_paths(piece, path, taken, promote, out);
            }
            path.pop();
            taken.pop();
        }
        if !extended && path.len() > 1 {
            out.push(path.clone());
        }
    }

    /// All legal moves of `seat` (assumed to be on move).
    fn legal(&self, seat: usize) -> Vec<Mv> {
        let (w, h) = self.dims();
        let mut out = Vec::new();
        for spec in &self.rules.file.moves {
            match spec {
                MoveSpec::Place { flank } => {
                    for y in 0..h {
                        for x in 0..w {
                            if self.cell(x, y).is_none()
                                && (!flank || !self.flips(seat, x, y).is_empty())
                            {
                                out.push(Mv::Place(x, y));
                            }
                        }
                    }
                }
                MoveSpec::Drop => {
                    for c in 0..w {
                        if self.cell(c, h - 1).is_none() {
                            out.push(Mv::Drop(c));
                        }
                    }
                }
                MoveSpec::Diagonal { .. } => {
                    out.extend(self.diagonal_moves(seat).into_iter().map(Mv::Path));
                }
                MoveSpec::Take { min, max } => {
                    for (pile, count) in self.state.piles.iter().enumerate() {
                        let top = max.map_or(*count, |m| m.min(*count));
                        for n in *min..=top {
                            out.push(Mv::Take { pile, n });
                        }
                    }
                }
                MoveSpec::Choose { options, .. } => {
                    out.extend(options.iter().map(|o| Mv::Choose(o.clone())));
                }
                MoveSpec::Guess => {
                    for c in 'a'..='z' {
                        if !self.state.guessed.contains(&c) {
                            out.push(Mv::Guess(c.to_string()));
                        }
                    }
                }
                MoveSpec::Roll { .. } => out.push(Mv::Roll),
                MoveSpec::Hold => {
                    if self.state.turn_total > 0 {
                        out.push(Mv::Hold);
                    }
                }
            }
        }
        out
    }

    // ---- effects ----

    fn apply(&mut self, seat: usize, mv: &Mv, events: &mut Vec<String>) {
        let (_, h) = self.dims();
        self.state.changed.clear();
        let piece = Piece {
            seat: seat as u8,
            king: false,
        };
        let mut ends_turn = true;
        match mv {
            Mv::Place(x, y) => {
                let flips = self.flips(seat, *x, *y);
                let flank = self.has_move(|m| matches!(m, MoveSpec::Place { flank: true }));
                self.set(*x, *y, Some(piece));
                if flank {
                    for (fx, fy) in &flips {
                        self.set(*fx, *fy, Some(piece));
                    }
                }
            }
            Mv::Drop(c) => {
                if let Some(y) = (0..h).find(|y| self.cell(*c, *y).is_none()) {
                    self.set(*c, y, Some(piece));
                }
            }
            Mv::Path(path) => self.apply_path(path),
            Mv::Take { pile, n } => {
                if let Some(count) = self.state.piles.get_mut(*pile) {
                    *count = count.saturating_sub(*n);
                }
                self.state.last_taker = Some(seat);
            }
            Mv::Choose(option) => {
                self.state.pending[seat] = Some(option.clone());
                ends_turn = false;
                if self.state.pending.iter().all(Option::is_some) {
                    self.resolve_round(events);
                }
            }
            Mv::Guess(g) => {
                let letters: Vec<char> = g.chars().collect();
                if letters.len() == 1 {
                    self.state.guessed.push(letters[0]);
                    if !self.state.word.contains(letters[0]) {
                        self.state.misses += 1;
                    }
                } else if *g == self.state.word {
                    for c in g.chars() {
                        if !self.state.guessed.contains(&c) {
                            self.state.guessed.push(c);
                        }
                    }
                } else {
                    self.state.misses += 1;
                    events.push(format!("'{g}' is not the word."));
                }
            }
            Mv::Roll => {
                let sides = self.rules.file.dice.as_ref().map_or(6, |d| d.sides);
                let value = match self.state.scripted_rolls.pop_front() {
                    Some(v) => v,
                    None => self.state.rng.below(sides as usize) as u8 + 1,
                };
                let bust = self
                    .has_move(|m| matches!(m, MoveSpec::Roll { bust } if bust.contains(&value)));
                if bust {
                    events.push(format!(
                        "{} rolled {value} and lost this turn's {}.",
                        self.seat_name(seat),
                        self.state.turn_total
                    ));
                    self.state.turn_total = 0;
                } else {
                    self.state.turn_total += value as u32;
                    events.push(format!(
                        "{} rolled {value}: {} this turn.",
                        self.seat_name(seat),
                        self.state.turn_total
                    ));
                    ends_turn = false;
                }
            }
            Mv::Hold => {
                self.state.scores[seat] += self.state.turn_total as i64;
                events.push(format!(
                    "{} banked {}: score {}.",
                    self.seat_name(seat),
                    self.state.turn_total,
                    self.state.scores[seat]
                ));
                self.state.turn_total = 0;
            }
        }
        self.state.passes = 0;
        self.end_checks(seat);
        if ends_turn && self.rules.file.turns == Turns::RoundRobin && !self.is_over() {
            self.advance();
        }
    }

    fn apply_path(&mut self, path: &[(u8, u8)]) {
        let (_, h) = self.dims();
        let Some(&(sx, sy)) = path.first() else {
            return;
        };
        let Some(mut piece) = self.cell(sx, sy) else {
            return;
        };
        let mut captured = false;
        for pair in path.windows(2) {
            let ((ax, ay), (bx, by)) = (pair[0], pair[1]);
            if ax.abs_diff(bx) == 2 {
                self.set((ax + bx) / 2, (ay + by) / 2, None);
                captured = true;
            }
        }
        let was_king = piece.king;
        let promote = self.has_move(|m| matches!(m, MoveSpec::Diagonal { promote: true }));
        let Some(&(ex, ey)) = path.last() else { return };
        if promote && (ey == 0 && piece.seat == 1 || ey == h - 1 && piece.seat == 0) {
            piece.king = true;
        }
        self.set(sx, sy, None);
        self.set(ex, ey, Some(piece));
        if captured || !was_king {
            self.state.quiet = 0;
        } else {
            self.state.quiet += 1;
        }
    }

    fn resolve_round(&mut self, events: &mut Vec<String>) {
        let choices: Vec<String> = self
            .state
            .pending
            .iter()
            .map(|c| c.clone().unwrap_or_default())
            .collect();
        let beats: Vec<(String, String)> = self
            .rules
            .file
            .moves
            .iter()
            .find_map(|m| match m {
                MoveSpec::Choose { beats, .. } => Some(beats.clone()),
                _ => None,
            })
            .unwrap_or_default();
        let wins = |a: &str, b: &str| beats.iter().any(|(w, l)| w == a && l == b);
        let n = choices.len();
        let winners: Vec<usize> = (0..n)
            .filter(|i| {
                let beats_someone = (0..n).any(|j| j != *i && wins(&choices[*i], &choices[j]));
                let beaten = (0..n).any(|j| j != *i && wins(&choices[j], &choices[*i]));
                beats_someone && !beaten
            })
            .collect();
        self.state.round += 1;
        for w in &winners {
            self.state.round_wins[*w] += 1;
        }
        let shown: Vec<String> = choices
            .iter()
            .enumerate()
            .map(|(s, c)| format!("{} {c}", self.seat_name(s)))
            .collect();
        let result = if winners.is_empty() {
            "no one wins the round".to_owned()
        } else {
            let names: Vec<&str> = winners.iter().map(|s| self.seat_name(*s)).collect();
            format!("{} wins the round", names.join(" and "))
        };
        events.push(format!(
            "Round {}: {} — {result}.",
            self.state.round,
            shown.join(", ")
        ));
        self.state.pending = vec![None; n];
    }

    fn advance(&mut self) {
        self.state.to_move = (self.state.to_move + 1) % self.state.players.max(1);
    }

    /// The end conditions after `seat` moved, in the rules' order.
    fn end_checks(&mut self, seat: usize) {
        let ends = self.rules.file.end.clone();
        for end in &ends {
            if self.is_over() {
                return;
            }
            match end {
                EndSpec::Line { length } => {
                    if let Some(winner) = self.line_winner(*length, seat) {
                        self.state.outcome = Some(Outcome::Win {
                            seats: vec![winner],
                            reason: format!("{length} in a row"),
                        });
                    }
                }
                EndSpec::BoardFull => {
                    if self.state.cells.iter().all(Option::is_some) {
                        self.finish_without_winner("the board is full");
                    }
                }
                EndSpec::LastTake(verdict) => {
                    if self.state.piles.iter().all(|p| *p == 0)
                        && let Some(last) = self.state.last_taker
                    {
                        let seats: Vec<usize> = match verdict {
                            Verdict::Wins => vec![last],
                            Verdict::Loses => {
                                (0..self.state.players).filter(|s| *s != last).collect()
                            }
                        };
                        self.state.outcome = Some(Outcome::Win {
                            seats,
                            reason: match verdict {
                                Verdict::Wins => "took the last one".into(),
                                Verdict::Loses => {
                                    format!("{} took the last one", self.seat_name(last))
                                }
                            },
                        });
                    }
                }
                EndSpec::Score { target } => {
                    if let Some(s) = (0..self.state.players)
                        .find(|s| self.state.scores[*s] >= i64::from(*target))
                    {
                        self.state.outcome = Some(Outcome::Win {
                            seats: vec![s],
                            reason: format!("reached {target}"),
                        });
                    }
                }
                EndSpec::Rounds { count } => {
                    if self.state.round >= *count && self.state.pending.iter().all(Option::is_none)
                    {
                        let best = self.state.round_wins.iter().copied().max().unwrap_or(0);
                        let top: Vec<usize> = (0..self.state.players)
                            .filter(|s| self.state.round_wins[*s] == best)
                            .collect();
                        self.state.outcome = Some(if top.len() == 1 && best > 0 {
                            Outcome::Win {
                                seats: top,
                                reason: format!("most rounds won ({best} of {count})"),
                            }
                        } else {
                            Outcome::Draw {
                                reason: format!("rounds tied after {count}"),
                            }
                        });
                    }
                }
                EndSpec::Word => {
                    if !self.state.word.is_empty()
                        && self
                            .state
                            .word
                            .chars()
                            .all(|c| self.state.guessed.contains(&c))
                    {
                        self.state.outcome = Some(Outcome::Win {
                            seats: (0..self.state.players).collect(),
                            reason: format!("found the word '{}'", self.state.word),
                        });
                    } else if let Some(spec) = &self.rules.file.word
                        && self.state.misses >= spec.max_misses
                    {
                        self.state.outcome = Some(Outcome::Nobody {
                            reason: format!("the word was '{}'", self.state.word),
                        });
                    }
                }
                EndSpec::Quiet { moves } => {
                    if self.state.quiet >= *moves {
                        self.state.outcome = Some(Outcome::Draw {
                            reason: format!("{moves} moves without a capture or a man moving"),
                        });
                    }
                }
                EndSpec::Connect => {
                    let order = [seat, 1 - seat.min(1)];
                    if let Some(winner) = order.into_iter().find(|s| self.connects(*s)) {
                        let sides = if winner == 0 {
                            "bottom to top"
                        } else {
                            "left to right"
                        };
                        self.state.outcome = Some(Outcome::Win {
                            seats: vec![winner],
                            reason: format!("joined {sides}"),
                        });
                    }
                }
                EndSpec::NoMove(_) | EndSpec::MostPieces => {}
            }
        }
    }

    /// A game over without a line or a score: by pieces if the rules say so, else a draw.
    fn finish_without_winner(&mut self, why: &str) {
        if self.has_end(|e| matches!(e, EndSpec::MostPieces)) {
            let counts: Vec<usize> = (0..self.state.players)
                .map(|s| {
                    self.state
                        .cells
                        .iter()
                        .filter(|c| c.is_some_and(|p| p.seat as usize == s))
                        .count()
                })
                .collect();
            let best = counts.iter().copied().max().unwrap_or(0);
            let top: Vec<usize> = (0..self.state.players)
                .filter(|s| counts[*s] == best)
                .collect();
            let tally: Vec<String> = counts
                .iter()
                .enumerate()
                .map(|(s, c)| format!("{} {c}", self.seat_name(s)))
                .collect();
            self.state.outcome = Some(if top.len() == 1 {
                Outcome::Win {
                    seats: top,
                    reason: format!("{why}; most pieces ({})", tally.join(", ")),
                }
            } else {
                Outcome::Draw {
                    reason: format!("{why}; equal pieces ({})", tally.join(", ")),
                }
            });
        } else {
            self.state.outcome = Some(Outcome::Draw { reason: why.into() });
        }
    }

    /// After a move: the next seat must be able to move; apply the no-move rule until one can.
    fn settle(&mut self, events: &mut Vec<String>) {
        if self.rules.file.turns != Turns::RoundRobin {
            return;
        }
        let rule = self.rules.file.end.iter().find_map(|e| match e {
            EndSpec::NoMove(r) => Some(*r),
            _ => None,
        });
        while !self.is_over() {
            let seat = self.state.to_move;
            if !self.legal(seat).is_empty() {
                return;
            }
            match rule {
                Some(NoMove::Loses) => {
                    let reason = format!("{} cannot move", self.seat_name(seat));
                    self.others_win(seat, reason);
                }
                Some(NoMove::Passes) => {
                    self.state.passes += 1;
                    if self.state.passes >= self.state.players {
                        self.finish_without_winner("no one can move");
                    } else {
                        events.push(format!("{} cannot move and passes.", self.seat_name(seat)));
                        self.advance();
                    }
                }
                None => self.finish_without_winner("no legal move is left"),
            }
        }
    }

    /// Whether `seat`'s pieces chain across the board: seat 0 from the bottom row to the top,
    /// seat 1 from the left column to the right (hexagonal or orthogonal neighbours).
    fn connects(&self, seat: usize) -> bool {
        let (w, h) = self.dims();
        let hex = self.rules.file.board.as_ref().is_some_and(|b| b.hex);
        let mine = |x: i16, y: i16| self.at(x, y).is_some_and(|p| p.seat as usize == seat);
        let mut seen = vec![false; w as usize * h as usize];
        let mut stack: Vec<(i16, i16)> = if seat == 0 {
            (0..w as i16)
                .map(|x| (x, 0))
                .filter(|c| mine(c.0, c.1))
                .collect()
        } else {
            (0..h as i16)
                .map(|y| (0, y))
                .filter(|c| mine(c.0, c.1))
                .collect()
        };
        let mut steps = vec![(1i16, 0i16), (-1, 0), (0, 1), (0, -1)];
        if hex {
            steps.extend([(1, -1), (-1, 1)]);
        }
        while let Some((x, y)) = stack.pop() {
            let i = y as usize * w as usize + x as usize;
            if seen[i] {
                continue;
            }
            seen[i] = true;
            if (seat == 0 && y == h as i16 - 1) || (seat != 0 && x == w as i16 - 1) {
                return true;
            }
            for (dx, dy) in &steps {
                let (nx, ny) = (x + dx, y + dy);
                if self.on_board(nx, ny) && mine(nx, ny) {
                    stack.push((nx, ny));
                }
            }
        }
        false
    }

    /// The seat owning a line of `length` (the mover's lines first). Only lines through the
    /// cells the move changed can be new.
    fn line_winner(&self, length: u8, mover: usize) -> Option<usize> {
        let mut found = None;
        for &(x, y) in &self.state.changed {
            let Some(p) = self.cell(x, y) else { continue };
            for (dx, dy) in [(1i16, 0i16), (0, 1), (1, 1), (1, -1)] {
                let run = |sign: i16| {
                    (1..length as i16)
                        .take_while(|k| {
                            self.at(x as i16 + dx * k * sign, y as i16 + dy * k * sign)
                                .is_some_and(|q| q.seat == p.seat)
                        })
                        .count()
                };
                if 1 + run(1) + run(-1) >= length as usize {
                    if p.seat as usize == mover {
                        return Some(mover);
                    }
                    found = found.or(Some(p.seat as usize));
                }
            }
        }
        found
    }

    /// A copy in which `seat` knows only what it may: for a computer player's search.
    pub fn determinize(&self, seat: usize, rng: &mut Rng) -> Match {
        let mut m = self.clone();
        for (s, choice) in m.state.pending.iter_mut().enumerate() {
            if s != seat {
                *choice = None;
            }
        }
        if !self.state.word.is_empty() {
            let shown: Vec<Option<char>> = self
                .state
                .word
                .chars()
                .map(|c| self.state.guessed.contains(&c).then_some(c))
                .collect();
            let wrong = self.misses().0;
            let fits: Vec<&String> = self
                .rules
                .words
                .iter()
                .filter(|w| {
                    w.chars().count() == shown.len()
                        && w.chars().zip(&shown).all(|(c, s)| match s {
                            Some(k) => c == *k,
                            None => !self.state.guessed.contains(&c),
                        })
                        && !wrong.iter().any(|c| w.contains(*c))
                })
                .collect();
            if !fits.is_empty() {
                m.state.word = fits[rng.below(fits.len())].clone();
            }
        }
        m.state.rng = Rng::new(rng.next_u64());
        m.state.scripted_rolls.clear();
        m
    }

    /// Plays a legal move chosen by index (for playouts); false when there is none.
    pub(super) fn play_nth(&mut self, seat: usize, n: usize) -> bool {
        let legal = self.legal(seat);
        let Some(mv) = legal.get(n % legal.len().max(1)).cloned() else {
            return false;
        };
        let canonical = self.canonical(&mv);
        let mut events = Vec::new();
        self.apply(seat, &mv, &mut events);
        self.state.moves.push((seat, canonical));
        self.settle(&mut events);
        true
    }

    /// Plays a uniformly random legal move (playouts); false when there is none.
    pub(super) fn play_random(&mut self, seat: usize, rng: &mut Rng) -> bool {
        let mut legal = self.legal(seat);
        if legal.is_empty() {
            return false;
        }
        let mv = legal.swap_remove(rng.below(legal.len()));
        let canonical = self.canonical(&mv);
        let mut events = Vec::new();
        self.apply(seat, &mv, &mut events);
        self.state.moves.push((seat, canonical));
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
}

const DIRECTIONS: [(i16, i16); 8] = [
    (1, 0),
    (-1, 0),
    (0, 1),
    (0, -1),
    (1, 1),
    (1, -1),
    (-1, 1),
    (-1, -1),
];

fn dims(rules: &Rules) -> (u8, u8) {
    rules
        .file
        .board
        .as_ref()
        .map_or((0, 0), |b| (b.width, b.height))
}

fn seat_index(rules: &Rules, name: &str) -> Option<usize> {
    rules.seats().iter().position(|s| s == name)
}

/// `take 2 from 1`, `2 from 1`.
fn parse_take(t: &str) -> Option<Mv> {
    let words: Vec<&str> = t.split_whitespace().collect();
    let words = match words.as_slice() {
        ["take", rest @ ..] => rest.to_vec(),
        other => other.to_vec(),
    };
    match words.as_slice() {
        [n, "from", pile] => {
            let n: u32 = n.parse().ok()?;
            let pile: usize = pile.parse().ok()?;
            (pile >= 1).then(|| Mv::Take { pile: pile - 1, n })
        }
        _ => None,
    }
}

/// A move kind in words, with an example of its syntax.
pub fn describe_move(spec: &MoveSpec) -> String {
    match spec {
        MoveSpec::Place { flank: false } => "place a piece on an empty cell, e.g. b3".into(),
        MoveSpec::Place { flank: true } => {
            "place a piece that encloses opponents' pieces in a line, e.g. d3".into()
        }
        MoveSpec::Drop => "drop a piece into a column, e.g. 4".into(),
        MoveSpec::Diagonal { .. } => {
            "move diagonally, e.g. c3-d4, or jump to capture, e.g. c3xe5 (capturing is compulsory)"
                .into()
        }
        MoveSpec::Take { min, max } => match max {
            Some(max) => format!("take {min} to {max} from a pile, e.g. take 2 from 1"),
            None => format!("take {min} or more from one pile, e.g. take 2 from 1"),
        },
        MoveSpec::Choose { options, .. } => {
            format!("choose one of {} (in private)", options.join(", "))
        }
        MoveSpec::Guess => "guess a letter, e.g. e, or the whole word".into(),
        MoveSpec::Roll { bust } => {
            let b: Vec<String> = bust.iter().map(u8::to_string).collect();
            format!("roll the die (a {} loses the turn's total)", b.join(" or "))
        }
        MoveSpec::Hold => "hold: bank the turn's total".into(),
    }
}

/// Replays one example; `Err` says how it differs from what it claims.
pub fn run_example(rules: &Arc<Rules>, ex: &Example) -> Result<(), String> {
    let players = ex.players.unwrap_or(rules.min_players());
    let mut m = Match::new(rules.clone(), players, ex.seed);
    if let Some(word) = &ex.word {
        m.set_word(word);
    }
    m.script_rolls(&ex.rolls);
    for (i, text) in ex.moves.iter().enumerate() {
        let (seat, mv) = match text.split_once(':') {
            Some((name, mv)) if m.seat_of(name.trim()).is_some() => {
                (m.seat_of(name.trim()).unwrap_or(0), mv.trim())
            }
            _ => (m.to_move().first().copied().unwrap_or(0), text.as_str()),
        };
        match (m.play(seat, mv), &ex.expect) {
            (Err(e), Expect::Illegal { at, reason }) if *at == i + 1 => {
                return if e.0.to_lowercase().contains(&reason.to_lowercase()) {
                    Ok(())
                } else {
                    Err(format!(
                        "move {} '{text}' was refused as expected, but with '{e}'",
                        i + 1
                    ))
                };
            }
            (Err(e), _) => return Err(format!("move {} '{text}' was refused: {e}", i + 1)),
            (Ok(_), Expect::Illegal { at, .. }) if *at == i + 1 => {
                return Err(format!("move {} '{text}' was accepted", i + 1));
            }
            (Ok(_), _) => {}
        }
    }
    let got = m.outcome().cloned();
    let ok = match (&ex.expect, &got) {
        (Expect::Win(names), Some(Outcome::Win { seats, .. })) => {
            let mut want: Vec<usize> = names.iter().filter_map(|n| m.seat_of(n)).collect();
            want.sort_unstable();
            let mut have = seats.clone();
            have.sort_unstable();
            want == have
        }
        (Expect::Draw, Some(Outcome::Draw { .. })) => true,
        (Expect::Nobody, Some(Outcome::Nobody { .. })) => true,
        (Expect::Ongoing, None) => true,
        (Expect::Illegal { at, .. }, _) => {
            return Err(format!(
                "only {} moves, so move {at} never came",
                ex.moves.len()
            ));
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "expected {:?}, got {}",
            ex.expect,
            got.map_or("a game still on".to_owned(), |_| m.status_line())
        ))
    }
}
