//! What `rules check` learns by playing: random games that show a game ending before any move,
//! games that do not end within a move limit, and end conditions no game reached.

use std::sync::Arc;

use super::Rules;
use super::bot::playout_limited;
use super::play::Match;
use super::rng::Rng;

/// Moves after which a random game counts as never ending.
pub const MOVE_LIMIT: usize = 2_000;

/// A finding: the end condition it concerns (index in the file), if any, and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub end: Option<usize>,
    pub message: String,
}

/// Plays `games` random games of every player count; returns what looks wrong.
pub fn audit(rules: &Arc<Rules>, games: usize) -> Vec<Finding> {
    let mut out = Vec::new();
    let ends = rules.file.end.len();
    let mut reached = vec![0usize; ends];
    let mut endless = 0;
    let mut at_once = 0;
    let mut played = 0;
    for players in rules.min_players()..=rules.max_players() {
        for g in 0..games {
            let seed = g as u64 * 7919 + players as u64;
            let mut m = Match::new(rules.clone(), players, seed);
            if m.is_over() {
                at_once += 1;
                continue;
            }
            let n = playout_limited(&mut m, &mut Rng::new(seed ^ 0xa0d1), MOVE_LIMIT);
            played += 1;
            if !m.is_over() && n >= MOVE_LIMIT {
                endless += 1;
            }
            if let Some(i) = m.ended_by()
                && let Some(r) = reached.get_mut(i)
            {
                *r += 1;
            }
        }
    }
    if at_once > 0 {
        out.push(Finding {
            end: None,
            message: format!(
                "{at_once} game(s) ended before any move: look at the setup and the ends."
            ),
        });
    }
    if endless > 0 {
        out.push(Finding {
            end: None,
            message: format!(
                "{endless} of {played} random game(s) did not end within {MOVE_LIMIT} moves: add an end (Quiet, Repetition, a move limit) or check the others."
            ),
        });
    }
    for (i, n) in reached.iter().enumerate() {
        if *n == 0 && played > 0 {
            out.push(Finding {
                end: Some(i),
                message: format!(
                    "this end was never reached in {played} random games (fine if it is rare; a mistake if it cannot happen)."
                ),
            });
        }
    }
    out
}
