//! Random playouts per second for every shipped game through the generic rules interpreter, and
//! connect four beside a small hand-written connect-four playout in the same run: the ratio is
//! what the generality costs.
//!
//! Run: `cargo bench --bench playouts` (`-- connect` runs only the games whose id contains
//! `connect`, for profiling).

use std::path::Path;
use std::time::{Duration, Instant};

use palaver::game::bot::playout;
use palaver::game::examples::perft;
use palaver::game::rng::Rng;
use palaver::game::spec::{Expect, Setup};
use palaver::game::{Match, load_dir};

const PER_GAME: Duration = Duration::from_secs(2);

/// Runs `one` repeatedly for about [`PER_GAME`]; returns (playouts per second, median µs).
fn measure(mut one: impl FnMut(u64) -> usize) -> (f64, f64, f64) {
    let mut times = Vec::new();
    let mut moves = 0usize;
    let start = Instant::now();
    let mut seed = 0u64;
    while start.elapsed() < PER_GAME {
        let t = Instant::now();
        moves += one(seed);
        times.push(t.elapsed().as_secs_f64() * 1e6);
        seed += 1;
    }
    let total = start.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    (
        times.len() as f64 / total,
        median,
        moves as f64 / times.len() as f64,
    )
}

/// Connect four by hand: a 7x6 array, random legal drops, a four-in-a-row check around the
/// last disc. The same generator as the interpreter's playouts.
fn connect_four_by_hand(seed: u64) -> usize {
    let mut rng = Rng::new(seed);
    let mut board = [[0u8; 6]; 7];
    let mut heights = [0usize; 7];
    let mut player = 1u8;
    let mut moves = 0;
    loop {
        let open: Vec<usize> = (0..7).filter(|c| heights[*c] < 6).collect();
        if open.is_empty() {
            return moves;
        }
        let c = open[rng.below(open.len())];
        let r = heights[c];
        board[c][r] = player;
        heights[c] += 1;
        moves += 1;
        for (dc, dr) in [(1i32, 0i32), (0, 1), (1, 1), (1, -1)] {
            let mut count = 1;
            for sign in [1i32, -1] {
                let (mut x, mut y) = (c as i32 + dc * sign, r as i32 + dr * sign);
                while (0..7).contains(&x)
                    && (0..6).contains(&y)
                    && board[x as usize][y as usize] == player
                {
                    count += 1;
                    x += dc * sign;
                    y += dr * sign;
                }
            }
            if count >= 4 {
                return moves;
            }
        }
        player = 3 - player;
    }
}

fn main() {
    let (games, errors) = load_dir(Path::new("rules"), Path::new("assets"));
    // cargo passes `--bench`; a bare word narrows the run to the games whose id contains it.
    let only = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let games: Vec<_> = games
        .into_iter()
        .filter(|g| only.as_deref().is_none_or(|o| g.id().contains(o)))
        .collect();
    for e in &errors {
        eprintln!("{e}");
    }
    println!(
        "random playouts, {} s per game (generic rules interpreter)",
        PER_GAME.as_secs()
    );
    println!(
        "{:<22} {:>14} {:>14} {:>12}",
        "game", "playouts/s", "median µs", "moves/game"
    );
    let mut generic_c4 = 0.0;
    for g in &games {
        let (rate, median, moves) = measure(|seed| {
            let mut m = Match::new(g.clone(), g.min_players(), seed);
            playout(&mut m, &mut Rng::new(seed ^ 0xbe7c))
        });
        if g.id() == "connect-four" {
            generic_c4 = rate;
        }
        println!(
            "{:<22} {:>14.0} {:>14.1} {:>12.1}",
            g.id(),
            rate,
            median,
            moves
        );
    }
    let (hand, median, moves) = measure(connect_four_by_hand);
    println!(
        "{:<22} {:>14.0} {:>14.1} {:>12.1}",
        "connect-four (by hand)", hand, median, moves
    );
    if generic_c4 > 0.0 {
        println!(
            "connect four: the hand-written playout is {:.1}x the generic interpreter's rate",
            hand / generic_c4
        );
    }
    // Move generation through the interpreter: chess perft, the standard counts.
    if let Some(chess) = games.iter().find(|g| g.id() == "chess") {
        let start = Match::new(chess.clone(), 2, 1);
        let t = Instant::now();
        let n = perft(&start, 4);
        println!(
            "chess perft(4) from the start: {n} (want 197281) in {:.2} s",
            t.elapsed().as_secs_f64()
        );
        let kiwipete = chess
            .file
            .examples
            .iter()
            .find(|e| matches!(e.expect, Expect::Perft(_)) && !e.setup.is_empty());
        if let Some(ex) = kiwipete {
            let setup: Vec<Setup> = ex.setup.clone();
            let m = Match::with_setup(chess.clone(), 2, 1, &setup, None);
            let t = Instant::now();
            let n = perft(&m, 3);
            println!(
                "chess perft(3) from Kiwipete: {n} (want 97862) in {:.2} s",
                t.elapsed().as_secs_f64()
            );
        }
    }
}
