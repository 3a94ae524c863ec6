//! The rules file format (RON) and its checks. A rules file declares one game from generic
//! primitives: a board, piles, dice or a hidden word; move kinds; end conditions; a clock; and
//! example games. `rules/README.md` documents every field for rule authors.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The whole file, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesFile {
    pub id: String,
    pub name: String,
    pub description: String,
    pub players: Players,
    #[serde(default)]
    pub board: Option<BoardSpec>,
    #[serde(default)]
    pub piles: Option<Vec<u32>>,
    #[serde(default)]
    pub dice: Option<DiceSpec>,
    #[serde(default)]
    pub word: Option<WordSpec>,
    #[serde(default)]
    pub turns: Turns,
    pub moves: Vec<MoveSpec>,
    pub end: Vec<EndSpec>,
    #[serde(default)]
    pub clock: Option<ClockSpec>,
    #[serde(default)]
    pub examples: Vec<Example>,
}

/// How many play, and the seats' names (also their marks on the board, so keep them short).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Players {
    pub min: usize,
    pub max: usize,
    pub seats: Vec<String>,
}

/// A grid: columns a, b, c… from the left, rows 1, 2, 3… from the bottom.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardSpec {
    pub width: u8,
    pub height: u8,
    /// Pieces on the board at the start: `("d4", "X")`.
    #[serde(default)]
    pub setup: Vec<(String, String)>,
    /// Fill each seat's starting rows with men on the dark squares (draughts-style):
    /// `[("X", [1, 2, 3]), ("O", [6, 7, 8])]`.
    #[serde(default)]
    pub dark_rows: Vec<(String, Vec<u8>)>,
    /// Hexagonal cells (a rhombus): each cell also touches its up-left and down-right
    /// neighbours, and the board is drawn with each row shifted half a cell.
    #[serde(default)]
    pub hex: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiceSpec {
    pub sides: u8,
}

/// A word drawn at random from a list in `assets/` that the players guess letter by letter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordSpec {
    /// Path relative to the assets directory, e.g. `words/en.txt` (one word per line).
    pub list: String,
    pub max_misses: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum Turns {
    /// Seats move one after the other.
    #[default]
    RoundRobin,
    /// Every seat chooses in secret; choices are revealed when all have chosen.
    Simultaneous,
}

/// A kind of move, with the syntax players type for it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub enum MoveSpec {
    /// Put a piece on an empty cell: `b3`. With `flank`, the move must enclose a line of the
    /// opponents' pieces between the new piece and another of one's own, and turns them over.
    Place {
        #[serde(default)]
        flank: bool,
    },
    /// Drop a piece into a column; it falls to the lowest empty cell: `4`.
    Drop,
    /// Move a piece one cell diagonally forward (`c3-d4`) or jump over an opponent's piece,
    /// capturing it, possibly several times in one move (`c3xe5xc7`). Capturing is compulsory.
    /// With `promote`, a piece reaching the far row becomes a king that moves both ways.
    Diagonal {
        #[serde(default)]
        promote: bool,
    },
    /// Take between `min` and `max` objects from one pile: `take 2 from 1` (or `2 from 1`).
    Take {
        #[serde(default = "one")]
        min: u32,
        #[serde(default)]
        max: Option<u32>,
    },
    /// Choose one of the options; `beats` lists (winner, loser) pairs.
    Choose {
        options: Vec<String>,
        beats: Vec<(String, String)>,
    },
    /// Guess a letter of the hidden word (`e`), or the whole word.
    Guess,
    /// Roll the dice (`roll`): the value adds to this turn's total, unless it is one of `bust`,
    /// which loses the turn's total and ends the turn.
    Roll { bust: Vec<u8> },
    /// Bank this turn's total into the score and end the turn (`hold`).
    Hold,
}

fn one() -> u32 {
    1
}

/// When and how the game ends. Conditions are checked in the order written.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub enum EndSpec {
    /// `length` of one seat's pieces in a row (across, up, or diagonally) wins.
    Line { length: u8 },
    /// A full board ends the game in a draw (or by piece count, with `MostPieces`).
    BoardFull,
    /// A seat with no legal move on its turn: `Loses`, or `Passes` (when every seat must pass,
    /// the game ends and `MostPieces` decides, else it is a draw).
    NoMove(NoMove),
    /// When the game ends without a winner otherwise, the seat with most pieces wins.
    MostPieces,
    /// When every pile is empty, whoever took last `Wins` or `Loses`.
    LastTake(Verdict),
    /// The first seat whose score reaches `target` wins.
    Score { target: u32 },
    /// After `count` rounds of simultaneous choices, the seat with most rounds won wins.
    Rounds { count: u32 },
    /// The hidden word revealed: the guessers win; `max_misses` misses: nobody does.
    Word,
    /// A draw after `moves` moves in a row without a capture or a non-king move.
    Quiet { moves: u32 },
    /// The first seat joins the bottom row to the top row with a chain of its pieces, the
    /// second seat the left column to the right one; whoever does wins (two seats).
    Connect,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum NoMove {
    Loses,
    Passes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Verdict {
    Wins,
    Loses,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockSpec {
    /// Time for each move.
    pub per_move_secs: u64,
    pub on_timeout: OnTimeout,
    // ---- game rooms' time controls (src/play/clock.rs); to be reconciled with the new language
    /// What a room's owner may choose instead of `per_move_secs` (`!clock`); absent: the
    /// service's general bounds ([`ClockChoices::GENERAL`]).
    #[serde(default)]
    pub choices: Option<ClockChoices>,
}

/// The time controls a room's owner may set for a game, each range `(least, most)` in seconds.
/// A game clock runs out for good (the player loses); `on_timeout` applies to a time per move.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockChoices {
    /// A time per move; absent: owners cannot set one.
    #[serde(default)]
    pub per_move_secs: Option<(u64, u64)>,
    /// A game clock's main time; absent: no game clocks.
    #[serde(default)]
    pub main_secs: Option<(u64, u64)>,
    /// The largest Fischer increment added after each move (0: none).
    #[serde(default)]
    pub max_increment_secs: u64,
    /// The most byo-yomi periods after the main time (0: none), and a period's length.
    #[serde(default)]
    pub max_periods: u32,
    #[serde(default)]
    pub period_secs: Option<(u64, u64)>,
}

impl ClockChoices {
    /// When the rules say nothing: from 10 s to a day per move; game clocks of 1 min to 3 h,
    /// increments up to a minute, up to 10 byo-yomi periods of 5 s to 5 min.
    pub const GENERAL: ClockChoices = ClockChoices {
        per_move_secs: Some((10, 86_400)),
        main_secs: Some((60, 10_800)),
        max_increment_secs: 60,
        max_periods: 10,
        period_secs: Some((5, 300)),
    };
}

fn check_clock_choices(choices: &ClockChoices, c: &mut Checker) {
    let ranges = [
        ("per_move_secs", choices.per_move_secs),
        ("main_secs", choices.main_secs),
        ("period_secs", choices.period_secs),
    ];
    for (name, range) in ranges {
        if let Some((least, most)) = range
            && (least == 0 || least > most)
        {
            c.at(
                name,
                format!("clock choices: {name} must be (least, most) with 0 < least <= most."),
            );
        }
    }
    if choices.max_periods > 0 && choices.period_secs.is_none() {
        c.at(
            "max_periods",
            "clock choices: byo-yomi periods need period_secs.".into(),
        );
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum OnTimeout {
    /// The late seat loses.
    Forfeit,
    /// The late seat's turn passes to the next.
    Skip,
}

/// A recorded game and what it must come to; `palaver rules test` replays it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub name: String,
    #[serde(default)]
    pub players: Option<usize>,
    #[serde(default)]
    pub seed: u64,
    /// Fixes the hidden word instead of drawing it.
    #[serde(default)]
    pub word: Option<String>,
    /// Fixes the dice's values, in order, instead of rolling them.
    #[serde(default)]
    pub rolls: Vec<u8>,
    /// Moves as typed, by whoever is to move (`"4"`), or naming the seat (`"X: 4"`).
    pub moves: Vec<String>,
    pub expect: Expect,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub enum Expect {
    /// These seats win.
    Win(Vec<String>),
    Draw,
    /// The game ends and nobody wins.
    Nobody,
    /// Move number `at` (counting from 1) is refused, with a reason containing `reason`.
    Illegal {
        at: usize,
        reason: String,
    },
    /// The game is still on after the moves.
    Ongoing,
}

/// A mistake in a rules file, located where it can be: `file:line:col: sentence`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesError {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.col,
            self.message
        )
    }
}

impl std::error::Error for RulesError {}

/// Parses a rules file's text; `file` names it in errors.
pub fn parse(file: &Path, text: &str) -> Result<RulesFile, Vec<RulesError>> {
    ron::Options::default()
        .from_str::<RulesFile>(text)
        .map_err(|e| {
            vec![RulesError {
                file: file.to_owned(),
                line: e.span.start.line,
                col: e.span.start.col,
                message: sentence(&e.code.to_string()),
            }]
        })
}

/// RON's messages as a sentence.
fn sentence(message: &str) -> String {
    let mut s = message.trim().to_owned();
    if let Some(first) = s.get(..1) {
        s = first.to_uppercase() + s.get(1..).unwrap_or_default();
    }
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

/// Where `needle` first appears after `after` in `text`, as 1-based line and column.
fn locate(text: &str, needle: &str, after: usize) -> (usize, usize) {
    let at = text
        .get(after..)
        .and_then(|rest| rest.find(needle))
        .map_or(0, |i| i + after);
    let before = text.get(..at).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(at, |nl| at - nl - 1) + 1;
    (line, col)
}

/// Collects semantic mistakes with the position of the field they concern.
pub struct Checker<'a> {
    file: &'a Path,
    text: &'a str,
    pub errors: Vec<RulesError>,
}

impl<'a> Checker<'a> {
    pub fn new(file: &'a Path, text: &'a str) -> Checker<'a> {
        Checker {
            file,
            text,
            errors: Vec::new(),
        }
    }

    /// Records `message` at the first occurrence of `field` (e.g. `"width"`).
    pub fn at(&mut self, field: &str, message: String) {
        self.at_nth(field, 0, message);
    }

    /// Records `message` at the `n`th (0-based) occurrence of `field`.
    pub fn at_nth(&mut self, field: &str, n: usize, message: String) {
        let mut from = 0;
        for _ in 0..n {
            let (line, col) = locate(self.text, field, from);
            let offset = offset_of(self.text, line, col);
            from = offset + field.len();
        }
        let (line, col) = locate(self.text, field, from);
        self.errors.push(RulesError {
            file: self.file.to_owned(),
            line,
            col,
            message,
        });
    }
}

fn offset_of(text: &str, line: usize, col: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split('\n').enumerate() {
        if i + 1 == line {
            return offset + col.saturating_sub(1);
        }
        offset += l.len() + 1;
    }
    offset
}

/// The semantic checks: everything serde cannot see.
pub fn check(rules: &RulesFile, c: &mut Checker) {
    let p = &rules.players;
    if p.min == 0 || p.min > p.max {
        c.at(
            "min",
            format!(
                "players: min ({}) must be at least 1 and at most max ({}).",
                p.min, p.max
            ),
        );
    }
    if p.seats.len() != p.max {
        c.at(
            "seats",
            format!(
                "players: there must be one seat name per player: {} names for max {}.",
                p.seats.len(),
                p.max
            ),
        );
    }
    let unique: BTreeSet<&String> = p.seats.iter().collect();
    if unique.len() != p.seats.len() || p.seats.iter().any(|s| s.trim().is_empty()) {
        c.at(
            "seats",
            "players: seat names must be distinct and not empty.".into(),
        );
    }
    if !rules
        .id
        .chars()
        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
        || rules.id.is_empty()
    {
        c.at(
            "id",
            format!(
                "id '{}' must be lowercase letters, digits and dashes (players type it).",
                rules.id
            ),
        );
    }
    if rules.moves.is_empty() {
        c.at(
            "moves",
            "moves: a game needs at least one kind of move.".into(),
        );
    }
    if rules.end.is_empty() {
        c.at(
            "end",
            "end: a game needs at least one end condition.".into(),
        );
    }
    check_board(rules, c);
    check_moves(rules, c);
    check_ends(rules, c);
    if let Some(clock) = &rules.clock
        && clock.per_move_secs == 0
    {
        c.at(
            "per_move_secs",
            "clock: per_move_secs must be more than 0.".into(),
        );
    }
    if let Some(choices) = rules.clock.as_ref().and_then(|c| c.choices.as_ref()) {
        check_clock_choices(choices, c);
    }
    for (i, ex) in rules.examples.iter().enumerate() {
        if let Some(n) = ex.players
            && (n < p.min || n > p.max)
        {
            c.at_nth(
                "Example(",
                i,
                format!(
                    "example '{}': {n} players is outside {}..={}.",
                    ex.name, p.min, p.max
                ),
            );
        }
        if let Expect::Win(seats) = &ex.expect {
            for s in seats {
                if !p.seats.contains(s) {
                    c.at_nth(
                        "Example(",
                        i,
                        format!("example '{}': there is no seat '{s}'.", ex.name),
                    );
                }
            }
        }
    }
}

fn needs_board(rules: &RulesFile) -> Option<&'static str> {
    for m in &rules.moves {
        match m {
            MoveSpec::Place { .. } => return Some("Place"),
            MoveSpec::Drop => return Some("Drop"),
            MoveSpec::Diagonal { .. } => return Some("Diagonal"),
            _ => {}
        }
    }
    for e in &rules.end {
        match e {
            EndSpec::Line { .. } => return Some("Line"),
            EndSpec::BoardFull => return Some("BoardFull"),
            EndSpec::MostPieces => return Some("MostPieces"),
            EndSpec::Connect => return Some("Connect"),
            _ => {}
        }
    }
    None
}

fn check_board(rules: &RulesFile, c: &mut Checker) {
    let Some(board) = &rules.board else {
        if let Some(what) = needs_board(rules) {
            c.at(
                what,
                format!("{what} needs a board: add board: Some(BoardSpec(width: …, height: …))."),
            );
        }
        return;
    };
    if !(1..=26).contains(&board.width) || !(1..=99).contains(&board.height) {
        c.at(
            "width",
            format!(
                "board: {}x{} is not a board palaver can show: width 1 to 26, height 1 to 99.",
                board.width, board.height
            ),
        );
        return;
    }
    for (cell, seat) in &board.setup {
        if parse_cell(cell, board.width, board.height).is_none() {
            c.at(
                cell,
                format!(
                    "board setup: '{cell}' is not a cell of a {}x{} board.",
                    board.width, board.height
                ),
            );
        }
        if !rules.players.seats.contains(seat) {
            c.at(cell, format!("board setup: there is no seat '{seat}'."));
        }
    }
    if rules
        .moves
        .iter()
        .any(|m| matches!(m, MoveSpec::Diagonal { .. }))
        && (board.width < 3 || board.height < 3)
    {
        c.at(
            "Diagonal",
            format!(
                "Diagonal moves need a board of at least 3x3 to jump; this one is {}x{}.",
                board.width, board.height
            ),
        );
    }
    let mut taken = BTreeSet::new();
    for (_, rows) in &board.dark_rows {
        for r in rows {
            if !taken.insert(*r) {
                c.at(
                    "dark_rows",
                    format!("board dark_rows: row {r} is given to two seats."),
                );
            }
        }
    }
    for (seat, rows) in &board.dark_rows {
        if !rules.players.seats.contains(seat) {
            c.at(
                "dark_rows",
                format!("board dark_rows: there is no seat '{seat}'."),
            );
        }
        if let Some(r) = rows.iter().find(|r| **r == 0 || **r > board.height) {
            c.at(
                "dark_rows",
                format!(
                    "board dark_rows: row {r} is not on a board of height {}.",
                    board.height
                ),
            );
        }
    }
}

fn check_moves(rules: &RulesFile, c: &mut Checker) {
    let simultaneous = rules.turns == Turns::Simultaneous;
    for m in &rules.moves {
        match m {
            MoveSpec::Take { min, max } => {
                if rules.piles.as_ref().is_none_or(|p| p.is_empty()) {
                    c.at(
                        "Take",
                        "Take needs piles: add piles: Some([3, 4, 5]).".into(),
                    );
                }
                if *min == 0 || max.is_some_and(|m| m < *min) {
                    c.at(
                        "Take",
                        "Take: min must be at least 1 and max at least min.".into(),
                    );
                }
            }
            MoveSpec::Choose { options, beats } => {
                if !simultaneous {
                    c.at(
                        "Choose",
                        "Choose is a secret choice: it needs turns: Simultaneous.".into(),
                    );
                }
                if options.len() < 2 {
                    c.at("Choose", "Choose needs at least two options.".into());
                }
                for (w, l) in beats {
                    for o in [w, l] {
                        if !options.contains(o) {
                            c.at(
                                "beats",
                                format!("Choose: '{o}' in beats is not one of the options."),
                            );
                        }
                    }
                }
            }
            MoveSpec::Guess => {
                if rules.word.is_none() {
                    c.at("Guess", "Guess needs a hidden word: add word: Some(WordSpec(list: …, max_misses: …)).".into());
                }
            }
            MoveSpec::Roll { bust } => match &rules.dice {
                None => c.at(
                    "Roll",
                    "Roll needs dice: add dice: Some(DiceSpec(sides: 6)).".into(),
                ),
                Some(d) => {
                    if d.sides < 2 {
                        c.at("sides", "dice: a die needs at least 2 sides.".into());
                    }
                    if let Some(b) = bust.iter().find(|b| **b == 0 || **b > d.sides) {
                        c.at(
                            "bust",
                            format!("Roll: a {}-sided die never shows {b}.", d.sides),
                        );
                    }
                }
            },
            MoveSpec::Diagonal { .. } => {
                if rules.players.max != 2 {
                    c.at(
                        "Diagonal",
                        "Diagonal moves are for two players (one moves up, one down).".into(),
                    );
                }
            }
            _ => {
                if simultaneous {
                    c.at(
                        "Simultaneous",
                        "turns: Simultaneous only works with Choose moves.".into(),
                    );
                }
            }
        }
    }
}

fn check_ends(rules: &RulesFile, c: &mut Checker) {
    let has = |f: &dyn Fn(&MoveSpec) -> bool| rules.moves.iter().any(f);
    for e in &rules.end {
        match e {
            EndSpec::Line { length } => {
                if let Some(b) = &rules.board {
                    let longest = b.width.max(b.height);
                    if *length == 0 || *length > longest {
                        c.at(
                            "length",
                            format!(
                                "Line: a line of {length} can never fit on a {}x{} board, so this end is unreachable.",
                                b.width, b.height
                            ),
                        );
                    }
                }
            }
            EndSpec::LastTake(_) => {
                if !has(&|m| matches!(m, MoveSpec::Take { .. })) {
                    c.at(
                        "LastTake",
                        "LastTake is unreachable without Take moves.".into(),
                    );
                }
            }
            EndSpec::Score { target } => {
                if !has(&|m| matches!(m, MoveSpec::Hold)) {
                    c.at(
                        "Score",
                        "Score is unreachable: no move (Hold) adds to a score.".into(),
                    );
                }
                if *target == 0 {
                    c.at("target", "Score: the target must be more than 0.".into());
                }
            }
            EndSpec::Rounds { count } => {
                if !has(&|m| matches!(m, MoveSpec::Choose { .. })) {
                    c.at(
                        "Rounds",
                        "Rounds is unreachable without Choose moves.".into(),
                    );
                }
                if *count == 0 {
                    c.at("count", "Rounds: count must be more than 0.".into());
                }
            }
            EndSpec::Word => {
                if !has(&|m| matches!(m, MoveSpec::Guess)) {
                    c.at("Word", "Word is unreachable without Guess moves.".into());
                }
            }
            EndSpec::Quiet { moves } => {
                if *moves == 0 {
                    c.at("Quiet", "Quiet: moves must be more than 0.".into());
                }
            }
            EndSpec::Connect => {
                if rules.players.max != 2 {
                    c.at("Connect", "Connect is for two players (one joins top and bottom, one left and right).".into());
                }
            }
            EndSpec::BoardFull | EndSpec::MostPieces | EndSpec::NoMove(_) => {}
        }
    }
}

/// `b3` → (column 1, row 2), 0-based, if on a `w`×`h` board.
pub fn parse_cell(text: &str, w: u8, h: u8) -> Option<(u8, u8)> {
    let text = text.trim().to_ascii_lowercase();
    let mut chars = text.chars();
    let col = chars.next()?;
    if !col.is_ascii_lowercase() {
        return None;
    }
    let x = col as u8 - b'a';
    let y: u8 = chars.as_str().parse().ok()?;
    (x < w && y >= 1 && y <= h).then(|| (x, y - 1))
}

/// (column, row) 0-based → `b3`.
pub fn cell_name(x: u8, y: u8) -> String {
    format!("{}{}", (b'a' + x) as char, y + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_round_trip() {
        assert_eq!(parse_cell("b3", 3, 3), Some((1, 2)));
        assert_eq!(parse_cell("B3", 3, 3), Some((1, 2)));
        assert_eq!(parse_cell("d1", 3, 3), None);
        assert_eq!(parse_cell("a0", 3, 3), None);
        assert_eq!(parse_cell("a", 3, 3), None);
        assert_eq!(cell_name(1, 2), "b3");
    }

    #[test]
    fn locate_gives_line_and_column() {
        let text = "(\n  id: \"x\",\n  width: 40,\n)";
        assert_eq!(locate(text, "width", 0), (3, 3));
        assert_eq!(locate(text, "id", 0), (2, 3));
    }
}
