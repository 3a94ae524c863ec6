//! `palaver rules check|test|explain|play`: the rule author's tools. They print to
//! stdout/stderr (this is a terminal program, not the service).

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use super::audit::{MOVE_LIMIT, audit};
use super::bot::{Budget, choose};
use super::check::Checker;
use super::{Match, load_file, load_files, rules_files, run_examples};

/// The files named, or every `*.ron` in `rules/`.
fn files_or_default(files: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    if !files.is_empty() {
        return Ok(files.to_vec());
    }
    rules_files(Path::new("rules")).map_err(|e| format!("rules: cannot read the directory: {e}"))
}

/// The name of an end condition as written (`Line`, `Full`…).
fn end_name(e: &super::spec::End) -> String {
    let text = format!("{e:?}");
    text.split(['(', ' ', '{'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Checks each file; prints every mistake as `file:line:col: sentence`, then what random
/// playouts found (`note:` lines).
pub fn check(files: &[PathBuf], assets: &Path, playouts: usize) -> ExitCode {
    let files = match files_or_default(files) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("palaver: {e}");
            return ExitCode::from(2);
        }
    };
    let (games, errors) = load_files(&files, assets);
    for e in &errors {
        println!("{e}");
    }
    let mut bad: Vec<&PathBuf> = errors.iter().map(|e| &e.file).collect();
    for g in &games {
        let text = std::fs::read_to_string(&g.path).unwrap_or_default();
        let mut notes = Checker::new(&g.path, &text);
        let mut mistakes = Checker::new(&g.path, &text);
        let findings = audit(g, playouts);
        for f in &findings {
            match f.end {
                Some(i) => {
                    let ends = &g.file.end;
                    let name = end_name(&ends[i]);
                    let nth = ends[..i].iter().filter(|e| end_name(e) == name).count();
                    notes.at_nth_after("end:", &name, nth, format!("note: {}", f.message));
                }
                None if f.message.contains("before any move")
                    || f.message.contains(&format!("within {MOVE_LIMIT}")) =>
                {
                    mistakes.at("end:", f.message.clone())
                }
                None => notes.at("end:", format!("note: {}", f.message)),
            }
        }
        // A finding about every game is a mistake; about some, a note.
        let every = findings.iter().any(|f| {
            f.message.starts_with(&format!(
                "{} of {} ",
                playouts * (g.max_players() - g.min_players() + 1),
                playouts * (g.max_players() - g.min_players() + 1)
            )) || f.message.starts_with(&format!(
                "{} game(s) ended before",
                playouts * (g.max_players() - g.min_players() + 1)
            ))
        });
        for e in mistakes.errors.iter().chain(&notes.errors) {
            println!("{e}");
        }
        if every {
            bad.push(&g.path);
        } else {
            println!("{}: ok ({})", g.path.display(), g.name());
        }
    }
    bad.sort();
    bad.dedup();
    println!("{} file(s), {} with mistakes", files.len(), bad.len());
    if bad.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Replays every example of each file.
pub fn test(files: &[PathBuf], assets: &Path) -> ExitCode {
    let files = match files_or_default(files) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("palaver: {e}");
            return ExitCode::from(2);
        }
    };
    let mut failed = 0;
    let mut passed = 0;
    for file in &files {
        let rules = match load_file(file, assets) {
            Ok(r) => Arc::new(r),
            Err(errors) => {
                failed += 1;
                for e in errors {
                    println!("{e}");
                }
                continue;
            }
        };
        let failures = run_examples(&rules);
        let total = rules.file.examples.len();
        passed += total - failures.len();
        failed += failures.len();
        for f in &failures {
            println!("{}: example '{}': {}", file.display(), f.name, f.problem);
        }
        println!(
            "{}: {} of {} example(s) pass",
            file.display(),
            total - failures.len(),
            total
        );
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Prints the game in sentences generated from its rules.
pub fn explain(file: &Path, assets: &Path) -> ExitCode {
    match load_file(file, assets) {
        Ok(rules) => {
            println!("{}", rules.help_text());
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for e in errors {
                eprintln!("{e}");
            }
            ExitCode::from(1)
        }
    }
}

/// Plays in the terminal: `bots` names the computer's seats (or `all`), the rest are typed.
pub fn play(
    file: &Path,
    assets: &Path,
    bots: &[String],
    players: Option<usize>,
    seed: u64,
) -> ExitCode {
    let rules = match load_file(file, assets) {
        Ok(r) => Arc::new(r),
        Err(errors) => {
            for e in errors {
                eprintln!("{e}");
            }
            return ExitCode::from(1);
        }
    };
    let mut m = Match::new(rules.clone(), players.unwrap_or(rules.min_players()), seed);
    for b in bots {
        if b != "all" && m.seat_of(b).is_none() {
            let seats: Vec<&str> = (0..m.state.players).map(|s| m.seat_name(s)).collect();
            eprintln!(
                "palaver: --bot {b}: there is no seat '{b}' in this game of {} (seats: {}).",
                m.state.players,
                seats.join(", ")
            );
            return ExitCode::from(2);
        }
    }
    let is_bot = |m: &Match, seat: usize| {
        bots.iter()
            .any(|b| b.eq_ignore_ascii_case(m.seat_name(seat)) || b == "all")
    };
    // Piped input is not echoed: echo it, so that each prompt ends its line.
    let echo = !std::io::stdin().is_terminal();
    println!("{}\n", rules.help_text());
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut turn = 0u64;
    while !m.is_over() {
        println!("{}\n", m.render(None));
        let Some(&seat) = m.to_move().first() else {
            break;
        };
        turn += 1;
        if is_bot(&m, seat) {
            let budget = Budget {
                iterations: 3_000,
                max_time: Duration::from_millis(500),
            };
            match choose(&m, seat, budget, seed ^ turn) {
                Some(mv) => {
                    println!("{} (computer) plays {mv}", m.seat_name(seat));
                    if let Err(e) = m.play(seat, &mv) {
                        eprintln!("the computer's move was refused: {e}");
                        return ExitCode::from(1);
                    }
                }
                None => break,
            }
            continue;
        }
        print!("{} > ", m.seat_name(seat));
        let _ = std::io::stdout().flush();
        let Some(Ok(line)) = lines.next() else {
            println!();
            return ExitCode::SUCCESS;
        };
        let line = line.trim();
        if echo {
            println!("{line}");
        }
        match line {
            "" => continue,
            "quit" | "exit" => return ExitCode::SUCCESS,
            "moves" => println!("{}", m.legal_moves(seat).join(" ")),
            "resign" => m.resign(seat),
            _ => match m.play(seat, line) {
                Ok(played) => {
                    for e in played.events {
                        println!("{e}");
                    }
                }
                Err(e) => println!("{e}"),
            },
        }
    }
    println!("{}", m.render(None));
    ExitCode::SUCCESS
}
