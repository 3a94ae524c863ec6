//! Trick-taking as small units over the zones: the led suit and the duty to follow it
//! (`PlayCard(follow: true)`), the trick decided once every seat still playing has put a card
//! in the shared trick zone (highest of the led suit, or highest trump), its winner counting
//! it (`Most(Tricks)`), taking its cards (`won`) or their values (`points`), and leading next.

use super::Rules;
use super::play::Match;
use super::spec::{RulesFile, TrickSpec};
use super::zones::{Card, JOKER, card_name, slot, zone};

fn spec(m: &Match) -> Option<&TrickSpec> {
    m.rules.file.trick.as_ref()
}

/// The trump suit's index, if the file names one the deck has.
fn trump(rules: &Rules) -> Option<u8> {
    let t = rules.file.trick.as_ref()?.trump.as_deref()?;
    let c = t.trim().to_lowercase().chars().next()?;
    rules
        .layout
        .suits
        .iter()
        .position(|s| *s == c)
        .map(|i| i as u8)
}

fn card(m: &Match, id: u16) -> Option<Card> {
    m.rules.layout.cards.get(id as usize).copied()
}

/// The cards of the trick in play, in the order played.
fn played(m: &Match) -> &[u16] {
    let Some(z) = spec(m).and_then(|s| zone(&m.rules, &s.zone)) else {
        return &[];
    };
    m.state
        .zones
        .get(slot(&m.rules, z, 0))
        .map_or(&[][..], Vec::as_slice)
}

/// The suit led in the trick in play, if a card has been led (a joker leads no suit).
pub fn led(m: &Match) -> Option<u8> {
    let first = card(m, *played(m).first()?)?;
    (first.rank != JOKER).then_some(first.suit)
}

/// Whether `id` may be played by a seat holding `held` under the duty to follow: a card of the
/// led suit, or anything when the seat has none of it.
pub fn follows(m: &Match, held: &[u16], id: u16) -> bool {
    let Some(suit) = led(m) else {
        return true;
    };
    let of_suit = |c: u16| card(m, c).is_some_and(|k| k.rank != JOKER && k.suit == suit);
    of_suit(id) || !held.iter().any(|c| of_suit(*c))
}

/// Whether a `PlayCard` into zone `to` must follow suit.
fn must_follow_into(rules: &Rules, to: usize) -> bool {
    rules.moves.iter().any(|r| {
        matches!(&r.spec, super::spec::Move::PlayCard { to: t, follow: true, .. }
            if zone(rules, t) == Some(to))
    })
}

/// Whether the seat owning a slot may hold `id`, as far as the others know: not a card of a
/// suit it failed to follow.
pub fn may_hold(m: &Match, owner: Option<usize>, id: u16) -> bool {
    let Some(o) = owner else {
        return true;
    };
    let voids = m.state.voids.get(o).copied().unwrap_or(0);
    card(m, id).is_none_or(|c| c.rank == JOKER || voids & (1u64 << (c.suit % 64)) == 0)
}

/// The refusal for a card that does not follow suit.
pub fn must_follow(m: &Match) -> String {
    let suit = led(m)
        .and_then(|s| m.rules.layout.suits.get(s as usize))
        .map_or(String::new(), |c| format!(" ({c} was led)"));
    format!("You must follow suit{suit}.")
}

/// After a card went to zone `to` by `seat`: a card led names the leader; a full trick is
/// decided. Returns the trick's winner, who leads next, when one was decided.
pub fn after_play(
    m: &mut Match,
    seat: usize,
    to: usize,
    events: &mut Vec<String>,
) -> Option<usize> {
    let spec = spec(m)?.clone();
    if zone(&m.rules, &spec.zone) != Some(to) {
        return None;
    }
    let cards = played(m).to_vec();
    if cards.len() == 1 {
        m.state.leader = seat;
    }
    // A card off the led suit, where following is a duty, shows the seat has none of it.
    if let (Some(lead), Some(last)) = (led(m), cards.last().and_then(|c| card(m, *c)))
        && cards.len() > 1
        && last.rank != JOKER
        && last.suit != lead
        && must_follow_into(&m.rules, to)
    {
        if m.state.voids.len() < m.state.players {
            m.state.voids.resize(m.state.players, 0);
        }
        m.state.voids[seat] |= 1u64 << (lead % 64);
    }
    let playing = (0..m.state.players)
        .filter(|s| !m.state.done.get(*s).copied().unwrap_or(false))
        .count();
    if cards.len() < playing.max(1) {
        return None;
    }
    let lead = led(m);
    let trump = trump(&m.rules);
    // The best card: a trump beats the led suit; within a suit the later rank is higher.
    let rank_of = |id: u16| -> (u8, u8) {
        match card(m, id) {
            Some(c) if c.rank != JOKER && Some(c.suit) == trump => (2, c.rank),
            Some(c) if c.rank != JOKER && Some(c.suit) == lead => (1, c.rank),
            _ => (0, 0),
        }
    };
    let best = (0..cards.len())
        .max_by_key(|i| (rank_of(cards[*i]), std::cmp::Reverse(*i)))
        .unwrap_or(0);
    // The seats played in turn from the leader, skipping those done for the game.
    let order: Vec<usize> = (0..m.state.players)
        .map(|k| (m.state.leader + k) % m.state.players.max(1))
        .filter(|s| !m.state.done.get(*s).copied().unwrap_or(false))
        .collect();
    let winner = order.get(best).copied().unwrap_or(seat);
    if let Some(n) = m.state.tricks.get_mut(winner) {
        *n += 1;
    }
    let s = slot(&m.rules, to, 0);
    let taken = std::mem::take(&mut m.state.zones[s]);
    let names: Vec<String> = taken.iter().map(|c| card_name(&m.rules, *c)).collect();
    let mut line = format!(
        "{} wins the trick ({}) with {}",
        m.seat_name(winner),
        names.join(" "),
        names.get(best).map_or("?", String::as_str)
    );
    if spec.points {
        let values = m
            .rules
            .file
            .cards
            .as_ref()
            .map_or(&[][..], |c| c.values.as_slice());
        let gained: i64 = taken
            .iter()
            .filter_map(|id| card(m, *id))
            .filter(|c| c.rank != JOKER)
            .map(|c| values.get(c.rank as usize).copied().unwrap_or(0))
            .sum();
        if let Some(score) = m.state.scores.get_mut(winner) {
            *score += gained;
        }
        line += &format!(", {gained} points");
    }
    if let Some(w) = spec.won.as_deref().and_then(|n| zone(&m.rules, n)) {
        let ws = slot(&m.rules, w, winner);
        if let Some(pile) = m.state.zones.get_mut(ws) {
            pile.extend(taken);
        }
    }
    events.push(format!("{line}."));
    Some(winner)
}

/// The tricks won so far, for the board.
pub fn lines(m: &Match, out: &mut Vec<String>) {
    if spec(m).is_none() {
        return;
    }
    let tally: Vec<String> = (0..m.state.players)
        .map(|s| {
            format!(
                "{} {}",
                m.seat_name(s),
                m.state.tricks.get(s).copied().unwrap_or(0)
            )
        })
        .collect();
    out.push(format!("tricks: {}", tally.join(", ")));
}

/// Sentences for `!rules`.
pub fn explain(f: &RulesFile) -> Vec<String> {
    let Some(t) = &f.trick else {
        return Vec::new();
    };
    let mut s = format!(
        "Tricks: each player in turn puts a card on the {}; once everyone has, the highest card of the suit led wins the trick",
        t.zone
    );
    match &t.trump {
        Some(trump) => {
            s += &format!(" unless a trump ({trump}) was played, then the highest trump")
        }
        None => s += " (no trumps)",
    }
    s += "; ranks count in the deck's order, the last highest; the winner leads the next trick";
    if let Some(w) = &t.won {
        s += &format!(" and takes its cards into its {w}");
    }
    if t.points {
        s += "; a trick won scores its cards' values";
    }
    vec![format!("{s}.")]
}
