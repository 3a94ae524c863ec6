//! Chance and secrets: dice (roll, hold), a hidden code; what each seat may know of them (the
//! bot's determinization).

use super::board::NONE;
use super::play::{Action, Match, Outcome};
use super::rng::Rng;
use super::spec::Move;

/// The actions of a seat-level chance or secret move.
pub fn generate(m: &Match, _seat: usize, r: usize, out: &mut Vec<Action>) {
    match &m.rules.moves[r].spec {
        Move::Pick { .. } => super::reveal::generate(m, _seat, r, out),
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
        Move::Pick { .. } => super::reveal::apply(m, seat, a, events),
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

/// A copy in which `seat` knows only what it may: the code redrawn among the codes that fit
/// every reply, hidden pieces laid again, unseen cards and dice dealt and rolled again, secret
/// choices and words drawn again (`reveal`), the dice reseeded.
pub fn determinize(m: &Match, seat: usize, rng: &mut Rng) -> Match {
    let mut d = m.clone();
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
    super::reveal::determinize(&mut d, seat, rng);
    d.state.rng = Rng::new(rng.next_u64());
    d.state.scripted_rolls.clear();
    d.state.moves.clear();
    d.cache.clear();
    d
}
