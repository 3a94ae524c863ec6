//! `palaver rules check|test|play`: the rule author's tools. They print to stdout/stderr (this is
//! a terminal program, not the service).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use super::bot::{Budget, choose};
use super::{Match, load_file, rules_files, run_examples};

/// The files named, or every `*.ron` in `rules/`.
fn files_or_default(files: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    if !files.is_empty() {
        return Ok(files.to_vec());
    }
    rules_files(Path::new("rules")).map_err(|e| format!("rules: cannot read the directory: {e}"))
}

/// Checks each file; prints every mistake as `file:line:col: sentence`.
pub fn check(files: &[PathBuf], assets: &Path) -> ExitCode {
    let files = match files_or_default(files) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("palaver: {e}");
            return ExitCode::from(2);
        }
    };
    let mut bad = 0;
    for file in &files {
        match load_file(file, assets) {
            Ok(rules) => println!("{}: ok ({})", file.display(), rules.name()),
            Err(errors) => {
                bad += 1;
                for e in errors {
                    println!("{e}");
                }
            }
        }
    }
    println!("{} file(s), {} with mistakes", files.len(), bad);
    if bad == 0 {
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

/// Plays in the terminal: `seats` says who is the computer (`X=bot`), the rest are typed.
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
    let is_bot = |m: &Match, seat: usize| {
        bots.iter()
            .any(|b| b.eq_ignore_ascii_case(m.seat_name(seat)) || b == "all")
    };
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
