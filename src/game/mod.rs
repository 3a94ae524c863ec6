//! The game engine: rules as data (RON files in `rules/`), a generic interpreter that plays any
//! of them, text boards, and a computer player. Nothing here knows a game by name: every game is
//! a composition of the primitives in [`rules`].

pub mod bot;
pub mod cli;
pub mod play;
pub mod render;
pub mod rng;
pub mod rules;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use play::{Match, MoveError, Outcome, Played};
pub use rules::{RulesError, RulesFile};

/// A checked game, ready to play.
#[derive(Debug, Clone)]
pub struct Rules {
    pub file: RulesFile,
    /// The hidden-word list, when the game has one.
    pub words: Vec<String>,
    pub path: PathBuf,
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
    pub fn clock(&self) -> Option<&rules::ClockSpec> {
        self.file.clock.as_ref()
    }
    pub fn simultaneous(&self) -> bool {
        self.file.turns == rules::Turns::Simultaneous
    }

    /// How to play, in a few lines (`!rules`).
    pub fn help_text(&self) -> String {
        let p = &self.file.players;
        let players = if p.min == p.max {
            format!("{} players", p.min)
        } else {
            format!("{} to {} players", p.min, p.max)
        };
        let mut lines = vec![
            format!("{} — {}", self.name(), self.description()),
            format!("{players}; seats: {}.", p.seats.join(", ")),
        ];
        for m in &self.file.moves {
            lines.push(format!("Move: {}", play::describe_move(m)));
        }
        if let Some(c) = self.clock() {
            lines.push(format!(
                "Clock: {} s per move; when it runs out the player {}.",
                c.per_move_secs,
                match c.on_timeout {
                    rules::OnTimeout::Forfeit => "loses",
                    rules::OnTimeout::Skip => "is skipped",
                }
            ));
        }
        lines.join("\n")
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
    let file = rules::parse(path, text)?;
    let mut checker = rules::Checker::new(path, text);
    rules::check(&file, &mut checker);
    let mut words = Vec::new();
    if let Some(spec) = &file.word {
        let list = assets.join(&spec.list);
        match std::fs::read_to_string(&list) {
            Ok(t) => {
                words = t
                    .lines()
                    .map(|l| l.trim().to_lowercase())
                    .filter(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase()))
                    .collect();
                if words.is_empty() {
                    checker.at(
                        "list",
                        format!("word: {} has no words of letters a to z.", list.display()),
                    );
                }
            }
            Err(e) => checker.at(
                "list",
                format!("word: cannot read the word list {}: {e}.", list.display()),
            ),
        }
    }
    if !checker.errors.is_empty() {
        return Err(checker.errors);
    }
    let rules = Rules {
        file,
        words,
        path: path.to_owned(),
    };
    // The examples must at least be playable to the point they claim.
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
    let mut games: Vec<Arc<Rules>> = Vec::new();
    let mut errors = Vec::new();
    for path in files {
        match load_file(&path, assets) {
            Ok(rules) => {
                if games.iter().any(|g| g.id() == rules.id()) {
                    let mut c = rules::Checker::new(&path, "");
                    c.at(
                        "id",
                        format!("Another rules file already has the id '{}'.", rules.id()),
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
            play::run_example(rules, ex)
                .err()
                .map(|problem| ExampleFailure {
                    name: ex.name.clone(),
                    problem,
                })
        })
        .collect()
}

#[cfg(test)]
mod tests;
