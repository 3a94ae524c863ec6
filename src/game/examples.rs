//! Examples: recorded games a rules file carries and what they must come to, replayed by
//! `rules test` and the test suite; perft counts for move generation.

use std::sync::Arc;

use super::Rules;
use super::play::{Match, Outcome};
use super::spec::{Example, Expect};

/// Counts the leaves of the move tree to `depth` (perft).
pub fn perft(m: &Match, depth: usize) -> u64 {
    if depth == 0 || m.is_over() {
        return u64::from(depth == 0);
    }
    let Some(seat) = m.first_to_move() else {
        return 0;
    };
    let legal = m.legal(seat);
    if depth == 1 {
        return legal.len() as u64;
    }
    let mut total = 0;
    for a in &legal {
        let mut next = m.clone();
        let mut events = Vec::new();
        next.apply(seat, a, &mut events);
        next.settle(&mut events);
        total += perft(&next, depth - 1);
    }
    total
}

/// Replays one example; `Err` says how it differs from what it claims.
pub fn run_example(rules: &Arc<Rules>, ex: &Example) -> Result<(), String> {
    let players = ex.players.unwrap_or(rules.min_players());
    let first = ex.to_move.as_deref().and_then(|s| rules.seat_index(s));
    let mut m = if ex.setup.is_empty() {
        let mut m = Match::new(rules.clone(), players, ex.seed);
        if let Some(f) = first {
            m.state.to_move = f;
            m.cache.clear();
            m.settle(&mut Vec::new());
        }
        m
    } else {
        Match::with_setup(rules.clone(), players, ex.seed, &ex.setup, first)
    };
    if let Some(code) = &ex.code
        && !m.set_code(code)
    {
        return Err(format!("'{code}' is not a code of this game"));
    }
    m.script_rolls(&ex.rolls);
    if !ex.deck.is_empty() {
        m.stack_deck(&ex.deck)?;
    }
    if let Some(word) = &ex.word {
        m.set_word(word)?;
    }
    if let Expect::Perft(counts) = &ex.expect {
        for (i, want) in counts.iter().enumerate() {
            let got = perft(&m, i + 1);
            if got != *want {
                return Err(format!("perft({}) is {got}, not {want}", i + 1));
            }
        }
        return Ok(());
    }
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
