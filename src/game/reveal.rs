//! Reveals and picks: zones shown to everyone at a named event (`reveal`: every secret choice
//! made, a matching card guessed) rather than only at the end; `Pick`, which
//! puts a card named by the deck into a zone (a secret choice into one's own owner-only slot,
//! a letter into the shared pile of guesses); a word drawn from a list into a zone; the ends
//! over them (`Rounds`, `Found`); and what a seat may know of them (the bot's determinization).

use super::Rules;
use super::board::NONE;
use super::play::{Action, Match, Outcome};
use super::rng::Rng;
use super::spec::{Move, RevealAt, Visibility};
use super::zones::{self, card_name, slot, zone};

/// The `Pick` actions of a seat: every card name not already in its target.
pub fn generate(m: &Match, seat: usize, r: usize, out: &mut Vec<Action>) {
    let Move::Pick { to, .. } = &m.rules.moves[r].spec else {
        return;
    };
    let Some(z) = zone(&m.rules, to) else {
        return;
    };
    let held = held(m, z, seat);
    if m.rules.file.zones[z].per_seat && !held.is_empty() {
        return;
    }
    for id in distinct(&m.rules) {
        let name = card_name(&m.rules, id);
        if !held.iter().any(|c| card_name(&m.rules, *c) == name) {
            let mut a = Action::new(r, NONE, NONE);
            a.n = id;
            out.push(a);
        }
    }
}

/// One card id per distinct card name of the deck.
fn distinct(rules: &Rules) -> Vec<u16> {
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for id in 0..rules.layout.cards.len() as u16 {
        let name = card_name(rules, id);
        if !seen.contains(&name) {
            seen.push(name);
            out.push(id);
        }
    }
    out
}

fn held(m: &Match, z: usize, seat: usize) -> &[u16] {
    m.state
        .zones
        .get(slot(&m.rules, z, seat))
        .map_or(&[][..], Vec::as_slice)
}

/// The zone's cards spelt together (a word).
fn spelt(m: &Match, z: usize) -> String {
    held(m, z, 0)
        .iter()
        .map(|c| card_name(&m.rules, *c))
        .collect()
}

/// Applies a `Pick`; returns whether the turn passes.
pub fn apply(m: &mut Match, seat: usize, a: &Action, events: &mut Vec<String>) -> bool {
    let rules = m.rules.clone();
    let Move::Pick { to, solve } = &rules.moves[a.rule as usize].spec else {
        return true;
    };
    let Some(t) = zone(&rules, to) else {
        return true;
    };
    let ts = slot(&rules, t, seat);
    match (a.word(), solve.as_deref().and_then(|s| zone(&rules, s))) {
        (Some(word), Some(sz)) => {
            if *word == spelt(m, sz) {
                // Every card of the word is now matched.
                for c in held(m, sz, 0).to_vec() {
                    let name = card_name(&rules, c);
                    if !m.state.zones[ts]
                        .iter()
                        .any(|k| card_name(&rules, *k) == name)
                    {
                        m.state.zones[ts].push(c);
                    }
                }
            } else {
                m.state.misses += 1;
                events.push(format!("'{word}' is not the word."));
            }
        }
        _ => m.state.zones[ts].push(a.n),
    }
    chosen(m, events);
    !rules.file.zones[t].per_seat
}

/// `Chosen` reveals: once every seat has a card in its slot of the zone, the cards are shown
/// in one announcement, compared by `beats` (the round's winner), and set aside.
fn chosen(m: &mut Match, events: &mut Vec<String>) {
    let rules = m.rules.clone();
    for r in &rules.file.reveal {
        let Some(z) = zone(&rules, &r.zone) else {
            continue;
        };
        if r.at != RevealAt::Chosen || !rules.file.zones[z].per_seat {
            continue;
        }
        let n = m.state.players;
        if (0..n).any(|s| held(m, z, s).is_empty()) {
            continue;
        }
        let names: Vec<String> = (0..n)
            .map(|s| {
                held(m, z, s)
                    .iter()
                    .map(|c| card_name(&rules, *c))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let shown: Vec<String> = (0..n)
            .map(|s| format!("{} {}", m.seat_name(s), names[s]))
            .collect();
        for s in 0..n {
            let sl = slot(&rules, z, s);
            m.state.zones[sl].clear();
        }
        m.state.round += 1;
        if r.beats.is_empty() {
            events.push(format!("Round {}: {}.", m.state.round, shown.join(", ")));
            continue;
        }
        let wins = |a: &str, b: &str| r.beats.iter().any(|(w, l)| w == a && l == b);
        let winners: Vec<usize> = (0..n)
            .filter(|i| {
                let beats_one = (0..n).any(|j| j != *i && wins(&names[*i], &names[j]));
                let beaten = (0..n).any(|j| j != *i && wins(&names[j], &names[*i]));
                beats_one && !beaten
            })
            .collect();
        for w in &winners {
            m.state.round_wins[*w] += 1;
        }
        let result = if winners.is_empty() {
            "no one wins the round".to_owned()
        } else {
            let who: Vec<&str> = winners.iter().map(|s| m.seat_name(*s)).collect();
            format!("{} wins the round", who.join(" and "))
        };
        events.push(format!(
            "Round {}: {} — {result}.",
            m.state.round,
            shown.join(", ")
        ));
    }
}

/// The zone whose cards show each card of zone `z` they match (`Matched`), if any.
pub fn matched_by(rules: &Rules, z: usize) -> Option<usize> {
    let name = &rules.file.zones.get(z)?.name;
    rules.file.reveal.iter().find_map(|r| match &r.at {
        RevealAt::Matched(by) if r.zone == *name => zone(rules, by),
        _ => None,
    })
}

/// Whether the `i`th card of zone `z`'s slot `s` is shown by a `Matched` reveal.
pub fn card_shown(m: &Match, z: usize, s: usize, i: usize) -> bool {
    let Some(by) = matched_by(&m.rules, z) else {
        return false;
    };
    let Some(card) = m.state.zones.get(s).and_then(|v| v.get(i)) else {
        return false;
    };
    let name = card_name(&m.rules, *card);
    let owners = if m.rules.file.zones[by].per_seat {
        m.state.players
    } else {
        1
    };
    (0..owners).any(|o| {
        held(m, by, o)
            .iter()
            .any(|c| card_name(&m.rules, *c) == name)
    })
}

/// Seats still to choose in a simultaneous round: their slots of every seat's zone a `Pick`
/// fills are empty.
pub fn waiting(m: &Match) -> Vec<usize> {
    let targets: Vec<usize> = pick_targets(&m.rules)
        .into_iter()
        .filter(|z| m.rules.file.zones[*z].per_seat)
        .collect();
    (0..m.state.players)
        .filter(|s| targets.iter().all(|z| held(m, *z, *s).is_empty()))
        .collect()
}

fn pick_targets(rules: &Rules) -> Vec<usize> {
    rules
        .moves
        .iter()
        .filter_map(|r| match &r.spec {
            Move::Pick { to, .. } => zone(rules, to),
            _ => None,
        })
        .collect()
}

/// Whether a `Pick` by this action is secret: its zone is not public.
pub fn is_secret(rules: &Rules, a: &Action) -> bool {
    match &rules.moves[a.rule as usize].spec {
        Move::Pick { to, .. } => {
            zone(rules, to).is_some_and(|z| rules.file.zones[z].visible != Visibility::Public)
        }
        _ => false,
    }
}

/// The wrong picks (cards in a `Pick` target that match nothing of its `solve` zone) and the
/// wrong solves.
pub fn misses(m: &Match) -> Option<(Vec<String>, u32)> {
    m.rules.moves.iter().find_map(|r| match &r.spec {
        Move::Pick { to, solve: Some(s) } => {
            let (t, s) = (zone(&m.rules, to)?, zone(&m.rules, s)?);
            let word: Vec<String> = held(m, s, 0)
                .iter()
                .map(|c| card_name(&m.rules, *c))
                .collect();
            let wrong: Vec<String> = held(m, t, 0)
                .iter()
                .map(|c| card_name(&m.rules, *c))
                .filter(|n| !word.contains(n))
                .collect();
            Some((wrong, m.state.misses))
        }
        _ => None,
    })
}

/// `Found(zone, misses)`: every card of the zone shown (every seat wins), or that many misses
/// (nobody does).
pub fn found(m: &mut Match, name: &str, limit: u32) {
    let Some(z) = zone(&m.rules, name) else {
        return;
    };
    let s = slot(&m.rules, z, 0);
    let n = held(m, z, 0).len();
    let word = spelt(m, z);
    if n > 0 && (0..n).all(|i| card_shown(m, z, s, i)) {
        m.finish(Outcome::Win {
            seats: (0..m.state.players).collect(),
            reason: format!("found '{word}'"),
        });
    } else if let Some((wrong, solves)) = misses(m)
        && wrong.len() as u32 + solves >= limit
    {
        m.finish(Outcome::Nobody {
            reason: format!("the word was '{word}'"),
        });
    }
}

/// `Rounds(count)`: after the last round, most rounds won wins.
pub fn rounds_over(m: &mut Match, count: u32) {
    if m.state.round < count {
        return;
    }
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

/// The cards spelling `word`, one per letter (`None` if a letter is not a card).
fn cards_of(rules: &Rules, word: &str) -> Option<Vec<u16>> {
    let ids = distinct(rules);
    word.chars()
        .map(|c| {
            ids.iter()
                .copied()
                .find(|id| card_name(rules, *id) == c.to_string())
        })
        .collect()
}

/// Draws a word from the list into each zone with `words` (at the start).
pub fn draw_words(m: &mut Match) {
    let rules = m.rules.clone();
    for (z, spec) in rules.file.zones.iter().enumerate() {
        if spec.words.is_none() || rules.words.is_empty() {
            continue;
        }
        let word = &rules.words[m.state.rng.below(rules.words.len())];
        let s = slot(&rules, z, 0);
        m.state.zones[s] = cards_of(&rules, word).unwrap_or_default();
    }
}

/// Fixes the word of the zone with `words` (examples and tests).
pub fn set_word(m: &mut Match, word: &str) -> Result<(), String> {
    let rules = m.rules.clone();
    let z = rules
        .file
        .zones
        .iter()
        .position(|z| z.words.is_some())
        .ok_or("no zone of this game holds a word")?;
    let cards = cards_of(&rules, &word.to_lowercase())
        .ok_or_else(|| format!("'{word}' has a letter that is not a card of this game"))?;
    let s = slot(&rules, z, 0);
    m.state.zones[s] = cards;
    m.cache.clear();
    Ok(())
}

/// Zones whose unseen cards [`determinize`] redraws (rather than [`zones::determinize`]
/// shuffling them with the other unseen cards): a `Pick` target and a word.
pub fn redrawn(rules: &Rules, z: usize) -> bool {
    rules.file.zones.get(z).is_some_and(|s| s.words.is_some()) || pick_targets(rules).contains(&z)
}

/// What `seat` cannot see of the redrawn zones, drawn again: another seat's secret choice
/// among every card name, a hidden word among the words of the list that fit what is shown.
pub fn determinize(d: &mut Match, seat: usize, rng: &mut Rng) {
    let rules = d.rules.clone();
    let ids = distinct(&rules);
    for (z, spec) in rules.file.zones.iter().enumerate() {
        if !redrawn(&rules, z) {
            continue;
        }
        let owners = if spec.per_seat { d.state.players } else { 1 };
        for owner in 0..owners {
            if zones::sees(d, Some(seat), z, owner) {
                continue;
            }
            let s = slot(&rules, z, owner);
            if spec.words.is_some() {
                if let Some(w) = fitting_word(d, z, s, rng) {
                    d.state.zones[s] = cards_of(&rules, &w).unwrap_or_default();
                }
            } else if !ids.is_empty() {
                for c in &mut d.state.zones[s] {
                    *c = ids[rng.below(ids.len())];
                }
            }
        }
    }
}

/// A word of the list with the zone's length, the shown letters in place, and no letter
/// that was picked (and so would show) where none shows.
fn fitting_word(d: &Match, z: usize, s: usize, rng: &mut Rng) -> Option<String> {
    let rules = &d.rules;
    let n = held(d, z, 0).len();
    let shown: Vec<Option<String>> = (0..n)
        .map(|i| card_shown(d, z, s, i).then(|| card_name(rules, d.state.zones[s][i])))
        .collect();
    let picked: Vec<String> = matched_by(rules, z)
        .map(|by| {
            held(d, by, 0)
                .iter()
                .map(|c| card_name(rules, *c))
                .collect()
        })
        .unwrap_or_default();
    let fits: Vec<&String> = rules
        .words
        .iter()
        .filter(|w| {
            w.chars().count() == n
                && w.chars().zip(&shown).all(|(c, sh)| match sh {
                    Some(k) => c.to_string() == *k,
                    None => !picked.contains(&c.to_string()),
                })
        })
        .collect();
    (!fits.is_empty()).then(|| fits[rng.below(fits.len())].clone())
}

/// Lines of the view: misses of a guessing game, rounds and who has chosen.
pub fn lines(m: &Match, out: &mut Vec<String>) {
    let limit = m.rules.file.end.iter().find_map(|e| match e {
        super::spec::End::Found { misses, .. } => Some(*misses),
        _ => None,
    });
    if let (Some((wrong, solves)), Some(limit)) = (misses(m), limit) {
        let mut list = wrong.join(" ");
        if solves > 0 {
            list += &format!(
                "{}{solves} wrong word(s)",
                if list.is_empty() { "" } else { ", " }
            );
        }
        if list.is_empty() {
            list = "none".into();
        }
        out.push(format!(
            "misses: {list} ({}/{limit})",
            wrong.len() as u32 + solves
        ));
    }
    if !m.rules.simultaneous() {
        return;
    }
    let tally: Vec<String> = (0..m.state.players)
        .map(|s| format!("{} {}", m.seat_name(s), m.state.round_wins[s]))
        .collect();
    out.push(format!(
        "rounds played: {}; won: {}",
        m.state.round,
        tally.join(", ")
    ));
    if m.is_over() {
        return;
    }
    let waiting = waiting(m);
    let who: Vec<String> = (0..m.state.players)
        .map(|s| {
            if waiting.contains(&s) {
                format!("{} is choosing", m.seat_name(s))
            } else {
                format!("{} has chosen", m.seat_name(s))
            }
        })
        .collect();
    out.push(who.join(", "));
}

/// Whether `t` starts the name of a card of the deck (the shape of a `Pick`).
pub fn names_card(rules: &Rules, t: &str) -> bool {
    !t.is_empty()
        && distinct(rules)
            .iter()
            .any(|id| card_name(rules, *id).to_lowercase().starts_with(t))
}

/// Why a `Pick` of `t` is refused, when the card is in its shared target already.
pub fn refusal(m: &Match, seat: usize, t: &str) -> Option<String> {
    m.rules
        .seat_moves
        .iter()
        .find_map(|&r| match &m.rules.moves[r].spec {
            Move::Pick { to, solve } => {
                let z = zone(&m.rules, to)?;
                let there = held(m, z, seat)
                    .iter()
                    .any(|c| card_name(&m.rules, *c).eq_ignore_ascii_case(t));
                let verb = if solve.is_some() { "guessed" } else { "picked" };
                there.then(|| format!("'{t}' was {verb} already."))
            }
            _ => None,
        })
}
