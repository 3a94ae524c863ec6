//! The game engine: rules as data (RON files in `rules/`), a generic interpreter that plays any
//! of them, text boards, and a computer player. Nothing here knows a game by name: every game is
//! a composition of the concepts in [`spec`] (see `DESIGN.md`), each interpreted by its own unit:
//! [`board`] (the graph), [`movement`], [`capture`], [`turn`], [`end`], [`chance`] (dice, secret
//! choices, hidden words), [`notation`] (one spelling of moves), [`render`] and [`explain`].

pub mod algebraic;
pub mod audit;
pub mod board;
pub mod bot;
pub mod capture;
pub mod chance;
pub mod check;
pub mod check_zones;
pub mod cli;
pub mod end;
pub mod examples;
pub mod explain;
pub mod hidden;
pub mod locate;
pub mod mobility;
pub mod movement;
pub mod notation;
pub mod play;
pub mod pool;
pub mod render;
pub mod reveal;
pub mod rng;
pub mod setup;
pub mod spec;
pub mod tricks;
pub mod turn;
pub mod zones;

/// The format's types under their former module name, for callers that named them so.
pub mod rules {
    pub use super::check::{Checker, RulesError};
    pub use super::spec::*;
}

use std::path::{Path, PathBuf};
use std::sync::Arc;

use board::{Board, Site};
pub use check::RulesError;
pub use play::{Match, MoveError, Outcome, Played};
pub use spec::RulesFile;
use spec::{Dir, Move, Region};

/// One kind of piece, compiled.
#[derive(Debug, Clone)]
pub struct Kind {
    pub name: String,
    /// The mark per seat (one for a neutral piece).
    pub marks: Vec<char>,
    /// Indices into [`Rules::moves`].
    pub moves: Vec<usize>,
    /// (kinds it may become, per seat: the sites where it does).
    pub promote: Option<(Vec<u8>, Vec<Vec<bool>>)>,
    pub royal: bool,
    pub progress: bool,
    pub supply: Option<u16>,
    pub neutral: bool,
    pub traits: Vec<String>,
    /// Who sees it on the board.
    pub hidden: spec::Visibility,
}

/// A move rule, compiled: its spec, the kind it belongs to, its directions per seat.
#[derive(Debug, Clone)]
pub struct MoveRule {
    pub spec: Move,
    pub kind: Option<u8>,
    /// Per seat: the direction slots (Step, Slide, Hop).
    pub dirs: Vec<Vec<u8>>,
    /// Per seat: the allowed sites (Add `to`, Step `from`), when restricted.
    pub sites: Vec<Option<Vec<bool>>>,
    /// Kinds an Add/Drop places; the kind a Slide `put`s.
    pub kinds: Vec<u8>,
    /// Leap offsets with their symmetries.
    pub offsets: Vec<(i16, i16)>,
    /// The second part of the turn.
    pub then: Option<usize>,
    /// Castle: the partner kind.
    pub partner: Option<u8>,
    /// Only this seat may make it.
    pub only: Option<usize>,
}

/// A checked game, ready to play.
#[derive(Debug, Clone)]
pub struct Rules {
    pub file: RulesFile,
    /// The hidden-word list, when the game has one.
    pub words: Vec<String>,
    pub path: PathBuf,
    pub board: Board,
    pub kinds: Vec<Kind>,
    /// Every move rule: the seat's own first, then the kinds', then second parts.
    pub moves: Vec<MoveRule>,
    /// Indices of the seat-level moves.
    pub seat_moves: Vec<usize>,
    /// Forward slot per seat.
    pub forward: Vec<u8>,
    /// Bonus per seat (komi).
    pub bonus: Vec<f64>,
    /// The zones and the deck.
    pub layout: zones::Layout,
    /// Per end condition (as in the file), for a `Reach`: the goal's sites per seat, so that
    /// judging a move looks a site up instead of building the region.
    pub goals: Vec<Option<Vec<Vec<bool>>>>,
}

impl Rules {
    pub fn id(&self) -> &str {
        &self.file.id
    }
    pub fn name(&self) -> &str {
        &self.file.name
    }
    pub fn description(&self) -> &str {
        &self.file.description
    }
    pub fn seats(&self) -> &[String] {
        &self.file.players.seats
    }
    pub fn min_players(&self) -> usize {
        self.file.players.min
    }
    pub fn max_players(&self) -> usize {
        self.file.players.max
    }
    pub fn clock(&self) -> Option<&spec::ClockSpec> {
        self.file.clock.as_ref()
    }
    pub fn simultaneous(&self) -> bool {
        self.file.turns == spec::Turns::Simultaneous
    }

    /// How to play, in a few lines (`!rules`): the description, then sentences generated from
    /// the rules themselves.
    pub fn help_text(&self) -> String {
        explain::explain(self)
    }

    /// The kind index by name.
    pub fn kind(&self, name: &str) -> Option<u8> {
        self.kinds
            .iter()
            .position(|k| k.name.eq_ignore_ascii_case(name))
            .map(|i| i as u8)
    }

    pub fn seat_index(&self, name: &str) -> Option<usize> {
        self.seats()
            .iter()
            .position(|s| s.eq_ignore_ascii_case(name))
    }

    /// The mark of a kind for a seat.
    pub fn mark(&self, kind: u8, owner: u8) -> char {
        self.kinds.get(kind as usize).map_or('?', |k| {
            if k.neutral {
                k.marks.first().copied().unwrap_or('?')
            } else {
                k.marks.get(owner as usize).copied().unwrap_or('?')
            }
        })
    }

    /// The sites of a region as read for `seat`.
    pub fn region(&self, region: &Region, seat: usize) -> Vec<Site> {
        let forward = self.forward.get(seat).copied().unwrap_or(2);
        let named = |n: &str| -> Vec<Site> {
            self.file
                .regions
                .iter()
                .find(|(name, _)| name == n)
                .map(|(_, r)| {
                    // Named regions may not name themselves (checked); one level is enough.
                    self.board.region(r, forward, &|_| Vec::new())
                })
                .unwrap_or_default()
        };
        self.board.region(region, forward, &named)
    }

    fn mask(&self, region: &Region, seat: usize) -> Vec<bool> {
        let mut mask = vec![false; self.board.len()];
        for s in self.region(region, seat) {
            mask[s as usize] = true;
        }
        mask
    }

    /// Builds the compiled tables from a file whose names were checked.
    fn compile(file: RulesFile, words: Vec<String>, path: &Path) -> Rules {
        let board = Board::build(file.board.as_ref());
        let seats = file.players.seats.len();
        let forward: Vec<u8> = (0..seats)
            .map(|i| {
                file.players
                    .forward
                    .get(i)
                    .map_or(board::default_forward(i), |c| board::compass_slot(*c))
            })
            .collect();
        let mut kinds: Vec<Kind> = if file.pieces.is_empty() {
            vec![Kind {
                name: "stone".into(),
                marks: setup::kind_marks(&file, 0),
                moves: Vec::new(),
                promote: None,
                royal: false,
                progress: false,
                supply: None,
                neutral: false,
                traits: Vec::new(),
                hidden: spec::Visibility::Public,
            }]
        } else {
            file.pieces
                .iter()
                .enumerate()
                .map(|(i, p)| Kind {
                    name: p.name.clone(),
                    marks: setup::kind_marks(&file, i),
                    moves: Vec::new(),
                    promote: None,
                    royal: p.royal,
                    progress: p.progress,
                    supply: p.supply,
                    neutral: p.neutral,
                    traits: p.traits.clone(),
                    hidden: p.hidden,
                })
                .collect()
        };
        let mut rules = Rules {
            file: file.clone(),
            words,
            path: path.to_owned(),
            board,
            kinds: Vec::new(),
            moves: Vec::new(),
            seat_moves: Vec::new(),
            forward,
            bonus: vec![0.0; seats],
            layout: zones::Layout::build(&file),
            goals: Vec::new(),
        };
        for (name, b) in &file.bonus {
            if let Some(s) = rules.seat_index(name) {
                rules.bonus[s] += b;
            }
        }
        let kind_of = |kinds: &[Kind], name: &str| {
            kinds
                .iter()
                .position(|k| k.name.eq_ignore_ascii_case(name))
                .map(|i| i as u8)
        };
        // Promotions need the kinds' names and the board's regions.
        for (i, p) in file.pieces.iter().enumerate() {
            if let Some(pr) = &p.promote {
                let to: Vec<u8> = pr.to.iter().filter_map(|n| kind_of(&kinds, n)).collect();
                let at: Vec<Vec<bool>> = (0..seats).map(|s| rules.mask(&pr.at, s)).collect();
                kinds[i].promote = Some((to, at));
            }
        }
        rules.kinds = kinds;
        rules.goals = file
            .end
            .iter()
            .map(|e| match e {
                spec::End::Reach(r) => Some((0..seats).map(|s| rules.mask(r, s)).collect()),
                _ => None,
            })
            .collect();
        for m in &file.moves {
            let i = rules.add_rule(m, None);
            rules.seat_moves.push(i);
        }
        for (k, p) in file.pieces.iter().enumerate() {
            for m in &p.moves {
                let i = rules.add_rule(m, Some(k as u8));
                rules.kinds[k].moves.push(i);
            }
        }
        rules
    }

    fn add_rule(&mut self, spec: &Move, kind: Option<u8>) -> usize {
        if let Move::Only(seat, inner) = spec {
            let i = self.add_rule(inner, kind);
            self.moves[i].only = self.seat_index(seat);
            return i;
        }
        let seats = self.file.players.seats.len();
        let dir_list: &[Dir] = match spec {
            Move::Step { dirs, .. }
            | Move::Slide { dirs, .. }
            | Move::Hop { dirs, .. }
            | Move::Count { dirs } => dirs,
            _ => &[],
        };
        let dirs: Vec<Vec<u8>> = (0..seats)
            .map(|s| {
                let mut v: Vec<u8> = dir_list
                    .iter()
                    .flat_map(|d| self.board.dirs(*d, self.forward[s]))
                    .collect();
                v.sort_unstable();
                v.dedup();
                v
            })
            .collect();
        let region = match spec {
            Move::Add { to: Some(r), .. }
            | Move::Step { from: Some(r), .. }
            | Move::Shoot { to: Some(r), .. } => Some(r.clone()),
            _ => None,
        };
        let sites: Vec<Option<Vec<bool>>> = (0..seats)
            .map(|s| region.as_ref().map(|r| self.mask(r, s)))
            .collect();
        let kinds: Vec<u8> = match spec {
            Move::Add { piece, .. } if piece.is_empty() => vec![kind.unwrap_or(0)],
            Move::Add { piece, .. } => piece.iter().filter_map(|n| self.kind(n)).collect(),
            Move::Drop { piece } => vec![piece.as_deref().and_then(|n| self.kind(n)).unwrap_or(0)],
            Move::Slide { put: Some(n), .. } | Move::Shoot { miss: n, .. } => {
                self.kind(n).into_iter().collect()
            }
            Move::Give => self
                .kinds
                .iter()
                .enumerate()
                .filter(|(_, k)| k.neutral)
                .map(|(i, _)| i as u8)
                .collect(),
            _ => Vec::new(),
        };
        let offsets = match spec {
            Move::Leap { offsets, .. } => {
                let mut v = Vec::new();
                for &(a, b) in offsets {
                    let (a, b) = (a as i16, b as i16);
                    for (x, y) in [(a, b), (b, a)] {
                        for (sx, sy) in [(1, 1), (1, -1), (-1, 1), (-1, -1)] {
                            v.push((x * sx, y * sy));
                        }
                    }
                }
                v.sort_unstable();
                v.dedup();
                v
            }
            _ => Vec::new(),
        };
        let partner = match spec {
            Move::Castle { with, .. } => self.kind(with),
            _ => None,
        };
        let index = self.moves.len();
        self.moves.push(MoveRule {
            spec: spec.clone(),
            kind,
            dirs,
            sites,
            kinds,
            offsets,
            then: None,
            partner,
            only: None,
        });
        if let Move::Step { then: Some(t), .. }
        | Move::Slide { then: Some(t), .. }
        | Move::Add { then: Some(t), .. } = spec
        {
            let t = self.add_rule(t, kind);
            self.moves[index].then = Some(t);
        }
        index
    }
}

/// Loads and checks one rules file; `assets` is where word lists are found.
pub fn load_file(path: &Path, assets: &Path) -> Result<Rules, Vec<RulesError>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![RulesError {
            file: path.to_owned(),
            line: 1,
            col: 1,
            message: format!("Cannot read the file: {e}."),
        }]
    })?;
    load_str(path, &text, assets)
}

/// Parses and checks rules text (`path` names it in errors).
pub fn load_str(path: &Path, text: &str, assets: &Path) -> Result<Rules, Vec<RulesError>> {
    let file = check::parse(path, text)?;
    let mut checker = check::Checker::new(path, text);
    check::check(&file, &mut checker);
    let words = match file.zones.iter().find_map(|z| z.words.as_ref()) {
        Some(list) => check::word_list(list, assets, &mut checker),
        None => Vec::new(),
    };
    if !checker.errors.is_empty() {
        return Err(checker.errors);
    }
    let rules = Rules::compile(file, words, path);
    check::check_compiled(&rules, &mut checker);
    if !checker.errors.is_empty() {
        return Err(checker.errors);
    }
    Ok(rules)
}

/// Every `*.ron` in `dir`, sorted by name.
pub fn rules_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    files.sort();
    Ok(files)
}

/// Loads every rules file of `dir`: the good games, and the mistakes of the others (the service
/// refuses those games with one log line each and runs the rest).
pub fn load_dir(dir: &Path, assets: &Path) -> (Vec<Arc<Rules>>, Vec<RulesError>) {
    let files = match rules_files(dir) {
        Ok(files) => files,
        Err(e) => {
            return (
                Vec::new(),
                vec![RulesError {
                    file: dir.to_owned(),
                    line: 1,
                    col: 1,
                    message: format!("Cannot read the rules directory: {e}."),
                }],
            );
        }
    };
    load_files(&files, assets)
}

/// Loads the files given; a second file with an id already loaded is a mistake.
pub fn load_files(files: &[PathBuf], assets: &Path) -> (Vec<Arc<Rules>>, Vec<RulesError>) {
    let mut games: Vec<Arc<Rules>> = Vec::new();
    let mut errors = Vec::new();
    for path in files {
        match load_file(path, assets) {
            Ok(rules) => {
                if let Some(first) = games.iter().find(|g| g.id() == rules.id()) {
                    let text = std::fs::read_to_string(path).unwrap_or_default();
                    let mut c = check::Checker::new(path, &text);
                    c.at(
                        "id",
                        format!(
                            "The id '{}' is already used by {}.",
                            rules.id(),
                            first.path.display()
                        ),
                    );
                    errors.extend(c.errors);
                } else {
                    games.push(Arc::new(rules));
                }
            }
            Err(e) => errors.extend(e),
        }
    }
    (games, errors)
}

/// The result of replaying one example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    pub name: String,
    pub problem: String,
}

/// Replays every example of `rules`; returns the ones that do not come out as claimed.
pub fn run_examples(rules: &Arc<Rules>) -> Vec<ExampleFailure> {
    rules
        .file
        .examples
        .iter()
        .filter_map(|ex| {
            examples::run_example(rules, ex)
                .err()
                .map(|problem| ExampleFailure {
                    name: ex.name.clone(),
                    problem,
                })
        })
        .collect()
}

/// A shipped game by id, for the units' tests.
#[cfg(test)]
pub(crate) fn shipped_rules(id: &str) -> Arc<Rules> {
    let file = format!("rules/{id}.ron");
    Arc::new(load_file(Path::new(&file), Path::new("assets")).unwrap_or_else(|e| panic!("{e:?}")))
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_tricks;
