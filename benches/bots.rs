//! The computer player against a uniformly random player, per two-player game: its win rate
//! over `BOT_GAMES` games (default 50, the bot taking each seat in turn) and its median think
//! time per move, with the service's budget.
//!
//! Run: `cargo bench --bench bots` (about an hour on a loaded 2-core machine; `BOT_GAMES=10`
//! for a quick look, `BOT_ONLY=chess,go` for some games, by id, `BOT_MOVES=400` for another cap
//! on a game's length).

use std::path::Path;
use std::time::{Duration, Instant};

use palaver::game::bot::{Budget, choose, random_move};
use palaver::game::rng::Rng;
use palaver::game::{Match, Outcome, load_dir};

/// What rooms give the computer (see `src/play/table.rs`).
const BUDGET: Budget = Budget {
    iterations: 2_000,
    max_time: Duration::from_millis(25),
};

/// Moves after which an unfinished game counts as a draw (`BOT_MOVES` sets another). The rules
/// themselves set no limit: a goose wall closing on a fox that wanders at random takes 250–400
/// moves, which a cap of 400 cut short.
const MAX_MOVES: usize = 1_000;

fn main() {
    let games: usize = std::env::var("BOT_GAMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let only: Option<Vec<String>> = std::env::var("BOT_ONLY")
        .ok()
        .map(|v| v.split(',').map(str::to_owned).collect());
    let max_moves: usize = std::env::var("BOT_MOVES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(MAX_MOVES);
    let (rules, errors) = load_dir(Path::new("rules"), Path::new("assets"));
    for e in &errors {
        eprintln!("{e}");
    }
    println!(
        "the computer ({} iterations, {} ms) against random moves, {games} games per game, \
         a draw after {max_moves} moves",
        BUDGET.iterations,
        BUDGET.max_time.as_millis()
    );
    println!(
        "{:<22} {:>6} {:>6} {:>6} {:>9} {:>14} {:>11}  per seat (w/d/l)",
        "game", "wins", "draws", "losses", "win rate", "median think", "p99 think"
    );
    for g in &rules {
        if g.min_players() > 2 || g.max_players() < 2 {
            continue;
        }
        if only
            .as_ref()
            .is_some_and(|o| !o.iter().any(|x| x == g.id()))
        {
            continue;
        }
        let (mut wins, mut draws, mut losses) = (0, 0, 0);
        // Wins, draws, losses with the bot in each seat: which side it cannot yet play.
        let mut by_seat = [[0usize; 3]; 2];
        let mut thinks = Vec::new();
        for i in 0..games {
            let bot_seat = i % 2;
            let seed = i as u64 * 31 + 7;
            let mut m = Match::new(g.clone(), 2, seed);
            let mut rng = Rng::new(seed ^ 0x5a5a);
            let mut n = 0;
            while !m.is_over() && n < max_moves {
                let Some(&seat) = m.to_move().first() else {
                    break;
                };
                let mv = if seat == bot_seat {
                    let t = Instant::now();
                    let mv = choose(&m, seat, BUDGET, seed ^ n as u64);
                    thinks.push(t.elapsed().as_secs_f64() * 1e3);
                    mv
                } else {
                    random_move(&m, seat, &mut rng)
                };
                let Some(mv) = mv else { break };
                if m.play(seat, &mv).is_err() {
                    break;
                }
                n += 1;
            }
            let result = match m.outcome() {
                Some(Outcome::Win { seats, .. }) if seats.contains(&bot_seat) => 0,
                Some(Outcome::Win { .. }) | Some(Outcome::Nobody { .. }) => 2,
                _ => 1,
            };
            match result {
                0 => wins += 1,
                1 => draws += 1,
                _ => losses += 1,
            }
            by_seat[bot_seat][result] += 1;
        }
        thinks.sort_by(f64::total_cmp);
        let median = thinks.get(thinks.len() / 2).copied().unwrap_or(0.0);
        let p99 = thinks.get(thinks.len() * 99 / 100).copied().unwrap_or(0.0);
        let seats: Vec<String> = by_seat
            .iter()
            .enumerate()
            .map(|(s, [w, d, l])| {
                format!(
                    "{} {w}/{d}/{l}",
                    g.seats().get(s).map_or("?", String::as_str)
                )
            })
            .collect();
        println!(
            "{:<22} {:>6} {:>6} {:>6} {:>8.0}% {:>11.1} ms {:>8.1} ms  {}",
            g.id(),
            wins,
            draws,
            losses,
            100.0 * wins as f64 / games.max(1) as f64,
            median,
            p99,
            seats.join(", ")
        );
    }
}
