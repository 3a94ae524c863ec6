//! Chance and secrets: dice (roll, hold), secret simultaneous choices, and a hidden word; what
//! each seat may know of them (the bot's determinization).

use super::board::NONE;
use super::play::{Action, Match, Outcome};
use super::rng::Rng;
use super::spec::Move;

/// The actions of a seat-level chance or secret move.
pub fn generate(m: &Match, _seat: usize, r: usize, out: &mut Vec<Action>) {
    match &m.rules.moves[r].spec {
        Move::Choose { options, .. } => {
            for i in 0..options.len() {
                let mut a = Action::new(r, NONE, NONE);
                a.n = i as u16;
                out.push(a);
            }
        }
        Move::Guess => {
            for c in b'a'..=b'z' {
                if !m.state.guessed.contains(&(c as char)) {
                    let mut a = Action::new(r, NONE, NONE);
                    a.n = u16::from(c);
                    out.push(a);
                }
            }
        }
        Move::Roll { .. } => out.push(Action::new(r, NONE, NONE)),
        Move::Hold if m.state.turn_total > 0 => out.push(Action::new(r, NONE, NONE)),
        _ => {}
    }
}

/// Applies a chance or secret action; returns whether the turn passes.
pub fn apply(m: &mut Match, seat: usize, a: &Action, events: &mut Vec<String>) -> bool {
    let rules = m.rules.clone();
    match &rules.moves[a.rule as usize].spec {
        Move::Choose { options, beats } => {
            m.state.pending[seat] = options.get(a.n as usize).cloned();
            if m.state.pending.iter().all(Option::is_some) {
                resolve_round(m, beats, events);
            }
            false
        }
        Move::Guess => {
            let guess = match &a.word {
                Some(w) => w.clone(),
                None => ((a.n as u8) as char).to_string(),
            };
            let letters: Vec<char> = guess.chars().collect();
            if letters.len() == 1 {
                m.state.guessed.push(letters[0]);
                if !m.state.word.contains(letters[0]) {
                    m.state.misses += 1;
                }
            } else if guess == m.state.word {
                for c in guess.chars() {
                    if !m.state.guessed.contains(&c) {
                        m.state.guessed.push(c);
                    }
                }
            } else {
                m.state.misses += 1;
                events.push(format!("'{guess}' is not the word."));
            }
            true
        }
        Move::Roll { bust } => {
            let sides = rules.file.dice.as_ref().map_or(6, |d| d.sides);
            let value = match m.state.scripted_rolls.pop_front() {
                Some(v) => v,
                None => m.state.rng.below(sides as usize) as u8 + 1,
            };
            if bust.contains(&value) {
                events.push(format!(
                    "{} rolled {value} and lost this turn's {}.",
                    m.seat_name(seat),
                    m.state.turn_total
                ));
                m.state.turn_total = 0;
                true
            } else {
                m.state.turn_total += u32::from(value);
                events.push(format!(
                    "{} rolled {value}: {} this turn.",
                    m.seat_name(seat),
                    m.state.turn_total
                ));
                false
            }
        }
        Move::Hold => {
            m.state.scores[seat] += i64::from(m.state.turn_total);
            events.push(format!(
                "{} banked {}: score {}.",
                m.seat_name(seat),
                m.state.turn_total,
                m.state.scores[seat]
            ));
            m.state.turn_total = 0;
            true
        }
        _ => true,
    }
}

fn resolve_round(m: &mut Match, beats: &[(String, String)], events: &mut Vec<String>) {
    let choices: Vec<String> = m
        .state
        .pending
        .iter()
        .map(|c| c.clone().unwrap_or_default())
        .collect();
    let wins = |a: &str, b: &str| beats.iter().any(|(w, l)| w == a && l == b);
    let n = choices.len();
    let winners: Vec<usize> = (0..n)
        .filter(|i| {
            let beats_someone = (0..n).any(|j| j != *i && wins(&choices[*i], &choices[j]));
            let beaten = (0..n).any(|j| j != *i && wins(&choices[j], &choices[*i]));
            beats_someone && !beaten
        })
        .collect();
    m.state.round += 1;
    for w in &winners {
        m.state.round_wins[*w] += 1;
    }
    let shown: Vec<String> = choices
        .iter()
        .enumerate()
        .map(|(s, c)| format!("{} {c}", m.seat_name(s)))
        .collect();
    let result = if winners.is_empty() {
        "no one wins the round".to_owned()
    } else {
        let names: Vec<&str> = winners.iter().map(|s| m.seat_name(*s)).collect();
        format!("{} wins the round", names.join(" and "))
    };
    events.push(format!(
        "Round {}: {} — {result}.",
        m.state.round,
        shown.join(", ")
    ));
    m.state.pending = vec![None; n];
}

/// `Rounds(count)`: after the last round, most rounds won wins.
pub fn rounds_over(m: &mut Match, count: u32) {
    if m.state.round >= count && m.state.pending.iter().all(Option::is_none) {
        let best = m.state.round_wins.iter().copied().max().unwrap_or(0);
        let top: Vec<usize> = (0..m.state.players)
            .filter(|s| m.state.round_wins[*s] == best)
            .collect();
        m.finish(if top.len() == 1 && best > 0 {
            Outcome::Win {
                seats: top,
                reason: format!("most rounds won ({best} of {count})"),
            }
        } else {
            Outcome::Draw {
                reason: format!("rounds tied after {count}"),
            }
        });
    }
}

/// `Word`: found (every guesser wins) or too many misses (nobody does).
pub fn word_over(m: &mut Match) {
    let found =
        !m.state.word.is_empty() && m.state.word.chars().all(|c| m.state.guessed.contains(&c));
    if found {
        let reason = format!("found the word '{}'", m.state.word);
        m.finish(Outcome::Win {
            seats: (0..m.state.players).collect(),
            reason,
        });
    } else if let Some(spec) = &m.rules.file.word
        && m.state.misses >= spec.max_misses
    {
        let reason = format!("the word was '{}'", m.state.word);
        m.finish(Outcome::Nobody { reason });
    }
}

/// The hidden word as the players see it: found letters, `_` for the others.
pub fn word_shown(m: &Match) -> String {
    m.state
        .word
        .chars()
        .map(|c| {
            if m.state.guessed.contains(&c) {
                c.to_string()
            } else {
                "_".into()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A copy in which `seat` knows only what it may: others' secret choices forgotten, the
/// hidden word redrawn among the words that fit what is known, the dice reseeded.
pub fn determinize(m: &Match, seat: usize, rng: &mut Rng) -> Match {
    let mut d = m.clone();
    for (s, choice) in d.state.pending.iter_mut().enumerate() {
        if s != seat {
            *choice = None;
        }
    }
    if !m.state.word.is_empty() {
        let shown: Vec<Option<char>> = m
            .state
            .word
            .chars()
            .map(|c| m.state.guessed.contains(&c).then_some(c))
            .collect();
        let wrong = m.misses().0;
        let fits: Vec<&String> = m
            .rules
            .words
            .iter()
            .filter(|w| {
                w.chars().count() == shown.len()
                    && w.chars().zip(&shown).all(|(c, s)| match s {
                        Some(k) => c == *k,
                        None => !m.state.guessed.contains(&c),
                    })
                    && !wrong.iter().any(|c| w.contains(*c))
            })
            .collect();
        if !fits.is_empty() {
            d.state.word = fits[rng.below(fits.len())].clone();
        }
    }
    d.state.rng = Rng::new(rng.next_u64());
    d.state.scripted_rolls.clear();
    d.state.moves.clear();
    d.cache = None;
    d
}
