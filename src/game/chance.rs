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
        Move::SetCode | Move::Crack => {
            let Some(spec) = &m.rules.file.code else {
                return;
            };
            // The maker sets the code once; nobody cracks it before.
            let setting = matches!(m.rules.moves[r].spec, Move::SetCode);
            if setting != (spec.maker.is_some() && !m.state.code_set) {
                return;
            }
            let n = spec.symbols.chars().count() as u32;
            let total = n.saturating_pow(u32::from(spec.length));
            for i in 0..total.min(MAX_CODES) {
                let mut a = Action::new(r, NONE, NONE);
                a.n = i as u16;
                out.push(a);
            }
        }
        Move::Shoot { .. } => super::hidden::generate_shoot(m, _seat, r, out),
        Move::Roll { .. } => out.push(Action::new(r, NONE, NONE)),
        Move::Hold if m.state.turn_total > 0 => out.push(Action::new(r, NONE, NONE)),
        Move::PlayCard { .. } | Move::Draw { .. } | Move::Stand => {
            super::zones::generate(m, _seat, r, out);
        }
        Move::Throw { .. } | Move::Fill | Move::Bid { .. } | Move::Challenge | Move::Advance => {
            super::pool::generate(m, _seat, r, out);
        }
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
            let guess = match a.word() {
                Some(w) => w.to_owned(),
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
        Move::SetCode => {
            m.state.code = code_of(&rules, a.n);
            m.state.code_set = true;
            events.push(format!("{} has set the code.", m.seat_name(seat)));
            true
        }
        Move::Shoot { .. } => {
            super::hidden::shoot(m, seat, a, events);
            true
        }
        Move::Crack => {
            let rules = m.rules.clone();
            let guess = code_of(&rules, a.n);
            let (black, white) = pegs(&m.state.code, &guess);
            events.push(format!(
                "{}: {black} in the right place, {white} right but misplaced.",
                code_text(&rules, &guess)
            ));
            m.state.cracks.push((guess, black, white));
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
        Move::PlayCard { .. } | Move::Draw { .. } | Move::Stand => {
            super::zones::apply(m, seat, a, events)
        }
        Move::Throw { .. } | Move::Fill | Move::Bid { .. } | Move::Challenge | Move::Advance => {
            super::pool::apply(m, seat, a, events)
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

/// Codes enumerated as legal moves at most (6 symbols, 4 places: 1,296).
pub const MAX_CODES: u32 = 4_096;

/// The code numbered `n` (base: the number of symbols, first place most significant).
pub fn code_of(rules: &super::Rules, n: u16) -> Vec<u8> {
    let Some(spec) = &rules.file.code else {
        return Vec::new();
    };
    let base = spec.symbols.chars().count().max(1) as u32;
    let mut n = u32::from(n);
    let mut out = vec![0u8; spec.length as usize];
    for slot in out.iter_mut().rev() {
        *slot = (n % base) as u8;
        n /= base;
    }
    out
}

/// A code as typed (`RGBY`), any case.
pub fn read_code(rules: &super::Rules, text: &str) -> Option<Vec<u8>> {
    let spec = rules.file.code.as_ref()?;
    let symbols: Vec<char> = spec.symbols.to_lowercase().chars().collect();
    let code: Option<Vec<u8>> = text
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| symbols.iter().position(|s| *s == c).map(|i| i as u8))
        .collect();
    code.filter(|c| c.len() == spec.length as usize)
}

pub fn code_text(rules: &super::Rules, code: &[u8]) -> String {
    let symbols: Vec<char> = rules
        .file
        .code
        .as_ref()
        .map_or(Vec::new(), |c| c.symbols.chars().collect());
    code.iter()
        .map(|i| symbols.get(*i as usize).copied().unwrap_or('?'))
        .collect()
}

/// Black pegs (right symbol, right place) and white pegs (right symbol, wrong place).
pub fn pegs(secret: &[u8], guess: &[u8]) -> (u8, u8) {
    let black = secret.iter().zip(guess).filter(|(a, b)| a == b).count();
    let mut symbols: Vec<u8> = secret.to_vec();
    symbols.sort_unstable();
    symbols.dedup();
    let common: usize = symbols
        .iter()
        .map(|s| {
            let a = secret.iter().filter(|x| *x == s).count();
            let b = guess.iter().filter(|x| *x == s).count();
            a.min(b)
        })
        .sum();
    (black as u8, common.saturating_sub(black) as u8)
}

/// `Cracked`: the last guess was the code (every guesser wins), or no guess is left.
pub fn cracked(m: &mut Match) {
    let Some(spec) = m.rules.file.code.clone() else {
        return;
    };
    let solved = m
        .state
        .cracks
        .last()
        .is_some_and(|(_, black, _)| *black as usize == spec.length as usize);
    let code = code_text(&m.rules, &m.state.code);
    let maker = spec.maker.as_deref().and_then(|s| m.seat_of(s));
    if solved {
        let n = m.state.cracks.len();
        m.finish(Outcome::Win {
            seats: (0..m.state.players).filter(|s| Some(*s) != maker).collect(),
            reason: format!("cracked the code {code} in {n}"),
        });
    } else if m.state.cracks.len() as u32 >= spec.max_guesses {
        let reason = format!("the code was {code}");
        m.finish(match maker {
            Some(s) => Outcome::Win {
                seats: vec![s],
                reason: format!("{reason}; nobody cracked it"),
            },
            None => Outcome::Nobody { reason },
        });
    }
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
    let maker = m
        .rules
        .file
        .code
        .as_ref()
        .and_then(|c| c.maker.as_deref())
        .and_then(|s| m.seat_of(s));
    if !m.state.code.is_empty() && maker != Some(seat) {
        // Any code that would have given the same replies.
        let rules = m.rules.clone();
        let total = rules.file.code.as_ref().map_or(0, |c| {
            (c.symbols.chars().count() as u32).saturating_pow(u32::from(c.length))
        });
        let fits: Vec<Vec<u8>> = (0..total.min(MAX_CODES))
            .map(|n| code_of(&rules, n as u16))
            .filter(|c| {
                m.state
                    .cracks
                    .iter()
                    .all(|(g, b, w)| pegs(c, g) == (*b, *w))
            })
            .collect();
        if !fits.is_empty() {
            d.state.code = fits[rng.below(fits.len())].clone();
        }
    }
    super::hidden::determinize(&mut d, seat, rng);
    super::zones::determinize(&mut d, seat, rng);
    d.state.rng = Rng::new(rng.next_u64());
    d.state.scripted_rolls.clear();
    d.state.moves.clear();
    d.cache.clear();
    d
}
