//! `palaver rules check|test|play` as a rule author runs them.

use std::io::Write;
use std::process::{Command, Stdio};

fn palaver(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_palaver"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run palaver: {e}"));
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn check_accepts_the_shipped_games() {
    let (code, text) = palaver(&["rules", "check"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains(" file(s), 0 with mistakes"), "{text}");
}

#[test]
fn check_reports_file_line_column_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bad = dir.path().join("bad.ron");
    let good = std::fs::read_to_string("rules/tic-tac-toe.ron").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&bad, good.replace("Line(length: 3)", "Line(length: 5)"))
        .unwrap_or_else(|e| panic!("{e}"));
    let (code, text) = palaver(&["rules", "check", bad.to_str().unwrap_or_default()]);
    assert_eq!(code, 1, "{text}");
    let line = text.lines().next().unwrap_or_default();
    assert!(
        line.ends_with(
            ": Line: a line of 5 can never fit on a 3x3 board, so this end is unreachable."
        ),
        "{text}"
    );
    assert!(line.contains("bad.ron:9:16: "), "{text}");
}

#[test]
fn test_replays_every_example() {
    let (code, text) = palaver(&["rules", "test"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains(" passed, 0 failed"), "{text}");
}

#[test]
fn play_against_the_computer_in_the_terminal() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_palaver"))
        .args(["rules", "play", "rules/nim.ron", "--bot", "B"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(stdin) = child.stdin.as_mut() {
        // Illegal first, then take whole piles until the game ends (the computer answers).
        let _ = stdin.write_all(b"take 9 from 1\nmoves\ntake 3 from 1\n");
        for pile in 1..=3 {
            for n in (1..=5).rev() {
                let _ = writeln!(stdin, "take {n} from {pile}");
            }
        }
        let _ = stdin.write_all(b"quit\n");
    }
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Pile 1 has only 3."), "{text}");
    assert!(text.contains("B (computer) plays take"), "{text}");
    assert!(text.contains(" won: took the last one."), "{text}");
}
