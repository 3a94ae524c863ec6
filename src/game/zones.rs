//! Zones beside the board: ordered lists of cards or dice, one per seat (a hand, a seat's dice)
//! or shared (a deck, a discard pile), each with a visibility. Cards come from a deck described
//! in the file; shuffles, deals and draws use the match's seeded generator. The card moves
//! (`PlayCard`, `Draw`, `Stand`), the ends over zones (`Emptied`, `Showdown`), the house that
//! plays by a rule, the views, and the bot's information set (every card it may not see
//! shuffled among the places it could be, every die it may not see rolled again).

use super::Rules;
use super::board::NONE;
use super::end;
use super::play::{Action, Match, NOBODY};
use super::rng::Rng;
use super::spec::{DeckKind, End, Matching, Move, RevealAt, RulesFile, Verdict, Visibility};

/// A card: its rank and suit (indices; a joker has rank [`JOKER`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Card {
    pub rank: u8,
    pub suit: u8,
}

pub const JOKER: u8 = u8::MAX;

/// The compiled zones and deck.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Every card of the deck, by id.
    pub cards: Vec<Card>,
    pub ranks: Vec<String>,
    pub suits: Vec<char>,
    /// Per zone: its first slot in `State::zones` (a seat's zone has one slot per seat).
    pub offset: Vec<usize>,
    pub slots: usize,
}

impl Layout {
    pub fn build(file: &RulesFile) -> Layout {
        let seats = file.players.seats.len();
        let mut offset = Vec::new();
        let mut slots = 0;
        for z in &file.zones {
            offset.push(slots);
            slots += if z.per_seat { seats } else { 1 };
        }
        let (mut ranks, mut suits, mut copies, mut jokers) = (Vec::new(), Vec::new(), 1, 0);
        if let Some(c) = &file.cards {
            match &c.deck {
                DeckKind::Standard52 => {
                    ranks = [
                        "A", "2", "3", "4", "5", "6", "7", "8", "9", "10", "J", "Q", "K",
                    ]
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect();
                    suits = vec!['s', 'h', 'd', 'c'];
                }
                DeckKind::Deck {
                    suits: s,
                    ranks: r,
                    copies: c,
                    jokers: j,
                } => {
                    ranks.clone_from(r);
                    suits = s.to_lowercase().chars().collect();
                    copies = *c;
                    jokers = *j;
                }
            }
        }
        let mut cards = Vec::new();
        // A deck without suits: one card per rank, named by its rank (`rock`, `e`).
        let suit_count = suits.len().max(usize::from(!ranks.is_empty()));
        for _ in 0..copies.min(16) {
            for s in 0..suit_count {
                for r in 0..ranks.len() {
                    cards.push(Card {
                        rank: r as u8,
                        suit: s as u8,
                    });
                }
            }
        }
        for _ in 0..jokers.min(16) {
            cards.push(Card {
                rank: JOKER,
                suit: 0,
            });
        }
        Layout {
            cards,
            ranks,
            suits,
            offset,
            slots,
        }
    }
}

/// The zone index by name.
pub fn zone(rules: &Rules, name: &str) -> Option<usize> {
    rules.file.zones.iter().position(|z| z.name == name)
}

/// The slot of zone `z` for `seat` (a shared zone has one).
pub fn slot(rules: &Rules, z: usize, seat: usize) -> usize {
    let base = rules.layout.offset.get(z).copied().unwrap_or(0);
    if rules.file.zones.get(z).is_some_and(|s| s.per_seat) {
        base + seat
    } else {
        base
    }
}

fn slot_of(m: &Match, name: &str, seat: usize) -> Option<usize> {
    zone(&m.rules, name).map(|z| slot(&m.rules, z, seat))
}

/// A card as written in moves: rank then suit (`10h`, `Qs`), `joker`.
pub fn card_name(rules: &Rules, id: u16) -> String {
    match rules.layout.cards.get(id as usize) {
        Some(c) if c.rank == JOKER => "joker".into(),
        Some(c) if rules.layout.suits.is_empty() => rules
            .layout
            .ranks
            .get(c.rank as usize)
            .cloned()
            .unwrap_or_else(|| "?".into()),
        Some(c) => format!(
            "{}{}",
            rules.layout.ranks.get(c.rank as usize).map_or("?", |s| s),
            rules
                .layout
                .suits
                .get(c.suit as usize)
                .copied()
                .unwrap_or('?')
        ),
        None => "?".into(),
    }
}

/// A card id by its name, any case.
fn card_by_name(rules: &Rules, name: &str) -> Option<u16> {
    let n = name.trim().to_lowercase();
    (0..rules.layout.cards.len() as u16).find(|id| card_name(rules, *id).to_lowercase() == n)
}

/// Rolls one die: the scripted value first (examples), else the generator.
pub fn roll_die(m: &mut Match, sides: u8) -> u16 {
    match m.state.scripted_rolls.pop_front() {
        Some(v) => u16::from(v),
        None => m.state.rng.below(sides.max(1) as usize) as u16 + 1,
    }
}

/// Fills the zones for a new game: the deck (the `stacked` cards on top, the rest shuffled),
/// the deal, the dice rolled.
pub fn start(m: &mut Match, stacked: &[u16]) {
    let rules = m.rules.clone();
    m.state.zones = vec![Vec::new(); rules.layout.slots];
    m.state.done = vec![false; m.state.players];
    if let Some(z) = rules.file.zones.iter().position(|z| z.deck) {
        let s = slot(&rules, z, 0);
        let mut rest: Vec<u16> = (0..rules.layout.cards.len() as u16)
            .filter(|c| !stacked.contains(c))
            .collect();
        shuffle(&mut rest, &mut m.state.rng);
        // The top of a pile is its end.
        rest.extend(stacked.iter().rev());
        m.state.zones[s] = rest;
    }
    for (from, to, count) in &rules.file.deal {
        let (Some(fz), Some(tz)) = (zone(&rules, from), zone(&rules, to)) else {
            continue;
        };
        let f = slot(&rules, fz, 0);
        let per_seat = rules.file.zones[tz].per_seat;
        for _ in 0..*count {
            let seats: Vec<usize> = if per_seat {
                (0..m.state.players).collect()
            } else {
                vec![0]
            };
            for seat in seats {
                if let Some(card) = m.state.zones[f].pop() {
                    let t = slot(&rules, tz, seat);
                    m.state.zones[t].push(card);
                }
            }
        }
    }
    for (z, spec) in rules.file.zones.iter().enumerate() {
        if let Some((count, sides)) = spec.dice {
            let seats = if spec.per_seat { m.state.players } else { 1 };
            let rolled = rolled_at_start(&rules, z);
            for seat in 0..seats {
                let s = slot(&rules, z, seat);
                // Dice a seat throws itself wait unrolled (0) until its first throw.
                let dice: Vec<u16> = (0..count)
                    .map(|_| if rolled { roll_die(m, sides) } else { 0 })
                    .collect();
                m.state.zones[s] = dice;
            }
        }
    }
    super::reveal::draw_words(m);
}

/// Whether the dice of zone `z` are rolled when the game starts: unless a `Throw` rolls them.
pub fn rolled_at_start(rules: &Rules, z: usize) -> bool {
    let Some(spec) = rules.file.zones.get(z) else {
        return false;
    };
    spec.dice.is_some()
        && !rules
            .moves
            .iter()
            .any(|r| matches!(&r.spec, Move::Throw { zone, .. } if *zone == spec.name))
}

/// Deals again with the named cards on top of the deck (examples); refuses unknown names.
pub fn stack(m: &mut Match, names: &[String]) -> Result<(), String> {
    let mut ids = Vec::new();
    for n in names {
        let id = (0..m.rules.layout.cards.len() as u16)
            .find(|id| !ids.contains(id) && card_name(&m.rules, *id).eq_ignore_ascii_case(n.trim()))
            .ok_or_else(|| format!("'{n}' is not a card of this game (or too many of it)"))?;
        ids.push(id);
    }
    start(m, &ids);
    m.cache.clear();
    Ok(())
}

fn shuffle(v: &mut [u16], rng: &mut Rng) {
    for i in (1..v.len()).rev() {
        let j = rng.below(i + 1);
        v.swap(i, j);
    }
}

/// Whether `viewer` (`None`: the room) sees what zone `z` of `owner` holds.
pub fn sees(m: &Match, viewer: Option<usize>, z: usize, owner: usize) -> bool {
    if m.is_over() {
        return true;
    }
    let Some(spec) = m.rules.file.zones.get(z) else {
        return false;
    };
    match spec.visible {
        Visibility::Public => true,
        Visibility::Owner => spec.per_seat && viewer == Some(owner),
        Visibility::Nobody => false,
    }
}

/// Whether the rules hide anything in a zone.
pub fn hides(rules: &Rules) -> bool {
    rules
        .file
        .zones
        .iter()
        .any(|z| z.visible != Visibility::Public)
}

fn is_dice(m: &Match, z: usize) -> bool {
    m.rules.file.zones.get(z).is_some_and(|s| s.dice.is_some())
}

/// What a zone's slot shows to `viewer`: the cards or dice, the top card, or a count.
fn shown(m: &Match, viewer: Option<usize>, z: usize, owner: usize) -> String {
    let s = slot(&m.rules, z, owner);
    let items = m.state.zones.get(s).map_or(&[][..], Vec::as_slice);
    let dice = is_dice(m, z);
    let noun = |n: usize| match (dice, n) {
        (true, 1) => "1 die".to_owned(),
        (true, _) => format!("{n} dice"),
        (false, 1) => "1 card".to_owned(),
        (false, _) => format!("{n} cards"),
    };
    if !sees(m, viewer, z, owner) {
        if super::reveal::matched_by(&m.rules, z).is_some() {
            // Each card shows once matched (a letter guessed), the others as `_`.
            let cards: Vec<String> = (0..items.len())
                .map(|i| {
                    if super::reveal::card_shown(m, z, s, i) {
                        card_name(&m.rules, items[i])
                    } else {
                        "_".into()
                    }
                })
                .collect();
            return cards.join(" ");
        }
        return noun(items.len());
    }
    if items.is_empty() {
        return "empty".into();
    }
    if dice && items.iter().all(|v| *v == 0) {
        return "not rolled yet".into();
    }
    let text = |id: u16| {
        if dice {
            id.to_string()
        } else {
            card_name(&m.rules, id)
        }
    };
    let spec = &m.rules.file.zones[z];
    if spec.top && !m.is_over() {
        let top = items.last().map_or(String::new(), |c| text(*c));
        let mut s = format!("{top} on top ({})", noun(items.len()));
        if let Some(suit) = m.state.declared
            && let Some(c) = m.rules.layout.suits.get(suit as usize)
        {
            s += &format!(", suit to follow: {c}");
        }
        return s;
    }
    let mut list: Vec<String> = items.iter().map(|c| text(*c)).collect();
    if let Some(limit) = showdown_limit(m, z) {
        list.push(format!("= {}", total(m, items, limit)));
    }
    list.join(" ")
}

/// The zones as `viewer` sees them, one line each.
pub fn lines(m: &Match, viewer: Option<usize>, out: &mut Vec<String>) {
    for (z, spec) in m.rules.file.zones.iter().enumerate() {
        if spec.per_seat {
            for seat in 0..m.state.players {
                let mut line = format!(
                    "{} {}: {}",
                    m.seat_name(seat),
                    spec.name,
                    shown(m, viewer, z, seat)
                );
                if m.state.done.get(seat).copied().unwrap_or(false) && !m.is_over() {
                    line += " (done)";
                }
                out.push(line);
            }
        } else {
            out.push(format!("{}: {}", spec.name, shown(m, viewer, z, 0)));
        }
    }
    if let Some((q, f, by)) = m.state.bid {
        out.push(format!("bid: {q} {f}s by {}", m.seat_name(by)));
    }
    super::tricks::lines(m, out);
}

/// What `seat` alone sees in the zones: for a private message.
pub fn own(m: &Match, seat: usize) -> Option<String> {
    if m.is_over() {
        return None;
    }
    let lines: Vec<String> = m
        .rules
        .file
        .zones
        .iter()
        .enumerate()
        .filter(|(z, spec)| {
            spec.per_seat
                && sees(m, Some(seat), *z, seat)
                && !sees(m, None, *z, seat)
                && !m.state.zones[slot(&m.rules, *z, seat)].is_empty()
        })
        .map(|(z, spec)| format!("Your {}: {}.", spec.name, shown(m, Some(seat), z, seat)))
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// The top card of zone `z` (shared), if any.
fn top(m: &Match, z: usize) -> Option<Card> {
    let s = slot(&m.rules, z, 0);
    let id = *m.state.zones.get(s)?.last()?;
    m.rules.layout.cards.get(id as usize).copied()
}

fn rank_index(rules: &Rules, name: &str) -> Option<u8> {
    rules
        .layout
        .ranks
        .iter()
        .position(|r| r.eq_ignore_ascii_case(name))
        .map(|i| i as u8)
}

/// Whether `card` may go on `to` under the rule.
fn fits(m: &Match, card: Card, to: usize, matching: &[Matching], wild: &[String]) -> bool {
    if matching.is_empty() || card.rank == JOKER {
        return true;
    }
    if wild
        .iter()
        .any(|w| rank_index(&m.rules, w) == Some(card.rank))
    {
        return true;
    }
    let Some(t) = top(m, to) else {
        return true;
    };
    let suit = m.state.declared.unwrap_or(t.suit);
    matching.iter().any(|k| match k {
        Matching::Suit => card.suit == suit,
        Matching::Rank => card.rank == t.rank && m.state.declared.is_none(),
    })
}

/// The card moves of a seat.
pub fn generate(m: &Match, seat: usize, r: usize, out: &mut Vec<Action>) {
    if m.state.done.get(seat).copied().unwrap_or(false) {
        return;
    }
    match &m.rules.moves[r].spec {
        Move::PlayCard {
            from,
            to,
            matching,
            wild,
            follow,
        } => {
            let (Some(f), Some(t)) = (slot_of(m, from, seat), zone(&m.rules, to)) else {
                return;
            };
            let mut seen: Vec<Card> = Vec::new();
            let held = m.state.zones.get(f).map_or(&[][..], Vec::as_slice);
            for &id in held {
                let Some(card) = m.rules.layout.cards.get(id as usize).copied() else {
                    continue;
                };
                if seen.contains(&card)
                    || !fits(m, card, t, matching, wild)
                    || (*follow && !super::tricks::follows(m, held, id))
                {
                    continue;
                }
                seen.push(card);
                let is_wild = wild
                    .iter()
                    .any(|w| rank_index(&m.rules, w) == Some(card.rank));
                if is_wild {
                    for s in 0..m.rules.layout.suits.len() {
                        let mut a = Action::new(r, NONE, NONE);
                        a.n = id;
                        a.kind = s as u8;
                        out.push(a);
                    }
                } else {
                    let mut a = Action::new(r, NONE, NONE);
                    a.n = id;
                    out.push(a);
                }
            }
        }
        Move::Draw {
            from,
            refill,
            stuck,
            ..
        } => {
            let Some(f) = slot_of(m, from, seat) else {
                return;
            };
            let refillable = refill
                .as_deref()
                .and_then(|z| slot_of(m, z, seat))
                .is_some_and(|s| m.state.zones.get(s).is_some_and(|v| v.len() > 1));
            if m.state.zones.get(f).is_none_or(Vec::is_empty) && !refillable {
                return;
            }
            if *stuck && can_play(m, seat) {
                return;
            }
            out.push(Action::new(r, NONE, NONE));
        }
        Move::Stand => out.push(Action::new(r, NONE, NONE)),
        _ => {}
    }
}

fn can_play(m: &Match, seat: usize) -> bool {
    m.rules.seat_moves.iter().any(|&r| {
        if !matches!(m.rules.moves[r].spec, Move::PlayCard { .. }) {
            return false;
        }
        let mut v = Vec::new();
        generate(m, seat, r, &mut v);
        !v.is_empty()
    })
}

/// Applies a card move; returns whether the turn passes.
pub fn apply(m: &mut Match, seat: usize, a: &Action, events: &mut Vec<String>) -> bool {
    let rules = m.rules.clone();
    match &rules.moves[a.rule as usize].spec {
        Move::PlayCard { from, to, .. } => {
            let (Some(f), Some(t)) = (slot_of(m, from, seat), slot_of(m, to, seat)) else {
                return true;
            };
            if let Some(i) = m.state.zones[f].iter().position(|c| *c == a.n) {
                m.state.zones[f].remove(i);
            }
            m.state.zones[t].push(a.n);
            m.state.declared = (a.kind != NOBODY).then_some(a.kind);
            if let Some(c) = m
                .state
                .declared
                .and_then(|s| rules.layout.suits.get(s as usize))
            {
                events.push(format!("{} names {c} as the suit.", m.seat_name(seat)));
            }
            let tz = zone(&rules, to).unwrap_or(0);
            match super::tricks::after_play(m, seat, tz, events) {
                // The winner leads: the turn goes to it rather than round.
                Some(winner) => {
                    m.state.to_move = winner;
                    false
                }
                None => true,
            }
        }
        Move::Draw {
            from,
            to,
            refill,
            again,
            ..
        } => {
            let (Some(f), Some(t)) = (slot_of(m, from, seat), slot_of(m, to, seat)) else {
                return true;
            };
            if m.state.zones[f].is_empty()
                && let Some(rs) = refill.as_deref().and_then(|z| slot_of(m, z, seat))
            {
                let keep = m.state.zones[rs].pop();
                let mut cards = std::mem::take(&mut m.state.zones[rs]);
                shuffle(&mut cards, &mut m.state.rng);
                m.state.zones[f] = cards;
                m.state.zones[rs].extend(keep);
                let pile = refill.as_deref().unwrap_or_default();
                events.push(format!("The {pile} is shuffled into the {from}."));
            }
            let Some(card) = m.state.zones[f].pop() else {
                return true;
            };
            m.state.zones[t].push(card);
            let tz = zone(&rules, to).unwrap_or(0);
            if sees(m, None, tz, seat) {
                events.push(format!(
                    "{} draws {}.",
                    m.seat_name(seat),
                    card_name(&rules, card)
                ));
            } else {
                events.push(format!("{} draws a card.", m.seat_name(seat)));
            }
            if let Some(limit) = showdown_limit(m, tz) {
                let held = m.state.zones[t].clone();
                let n = total(m, &held, limit);
                if n > limit {
                    events.push(format!("{} busts with {n}.", m.seat_name(seat)));
                    m.state.done[seat] = true;
                    house(m, events);
                    return true;
                }
            }
            !again
        }
        Move::Stand => {
            m.state.done[seat] = true;
            events.push(format!("{} stands.", m.seat_name(seat)));
            house(m, events);
            true
        }
        _ => true,
    }
}

/// The limit of a `Showdown` over zone `z`, if there is one.
fn showdown_limit(m: &Match, z: usize) -> Option<i64> {
    let name = &m.rules.file.zones.get(z)?.name;
    let house = m.rules.file.house.as_ref().map(|h| &h.hand);
    m.rules.file.end.iter().find_map(|e| match e {
        End::Showdown(zone, limit) if zone == name || house == Some(name) => Some(*limit),
        _ => None,
    })
}

/// The cards' total: each rank's value; one card of the first rank counts `soft` more while
/// that stays within `limit`.
pub fn total(m: &Match, cards: &[u16], limit: i64) -> i64 {
    let spec = m.rules.file.cards.as_ref();
    let values = spec.map_or(&[][..], |c| c.values.as_slice());
    let soft = spec.map_or(0, |c| c.soft);
    let mut sum = 0;
    let mut low = false;
    for id in cards {
        let Some(c) = m.rules.layout.cards.get(*id as usize) else {
            continue;
        };
        if c.rank == JOKER {
            continue;
        }
        sum += values
            .get(c.rank as usize)
            .copied()
            .unwrap_or(i64::from(c.rank) + 1);
        low |= c.rank == 0;
    }
    if low && soft > 0 && sum + soft <= limit {
        sum += soft;
    }
    sum
}

/// Once every seat is done, the house reveals its hidden cards and draws by its rule.
fn house(m: &mut Match, events: &mut Vec<String>) {
    let Some(spec) = m.rules.file.house.clone() else {
        return;
    };
    if m.state.done.iter().take(m.state.players).any(|d| !d) {
        return;
    }
    let Some(h) = slot_of(m, &spec.hand, 0) else {
        return;
    };
    // Every seat bust: the house need not play.
    let limit = showdown_limit(m, zone(&m.rules, &spec.hand).unwrap_or(0)).unwrap_or(i64::MAX);
    for name in &spec.reveal {
        if let Some(s) = slot_of(m, name, 0) {
            let cards = std::mem::take(&mut m.state.zones[s]);
            m.state.zones[h].extend(cards);
        }
    }
    let Some(d) = slot_of(m, &spec.draw, 0) else {
        return;
    };
    loop {
        let held = m.state.zones[h].clone();
        if total(m, &held, limit) >= spec.until {
            break;
        }
        let Some(card) = m.state.zones[d].pop() else {
            break;
        };
        m.state.zones[h].push(card);
    }
    let held = m.state.zones[h].clone();
    let names: Vec<String> = held.iter().map(|c| card_name(&m.rules, *c)).collect();
    events.push(format!(
        "The house shows {}: {}.",
        names.join(" "),
        total(m, &held, limit)
    ));
}

/// `Emptied(zone, v)`: a seat whose zone is empty wins, or is out (the last seat left wins).
pub fn emptied(m: &mut Match, name: &str, v: &Verdict) {
    let Some(z) = zone(&m.rules, name) else {
        return;
    };
    if let Verdict::Most(_) = v {
        let all =
            (0..m.state.players).all(|seat| m.state.zones[slot(&m.rules, z, seat)].is_empty());
        if all {
            let mover = m.state.last_mover.unwrap_or(0);
            end::decide(m, v, mover, format!("every {name} is empty"));
        }
        return;
    }
    for seat in 0..m.state.players {
        let s = slot(&m.rules, z, seat);
        if m.state.done[seat] || !m.state.zones[s].is_empty() {
            continue;
        }
        if *v == Verdict::Lose {
            m.state.done[seat] = true;
            let left: Vec<usize> = (0..m.state.players).filter(|s| !m.state.done[*s]).collect();
            if let [last] = left.as_slice() {
                let reason = format!("the last with {name} left");
                end::decide(m, &Verdict::Win, *last, reason);
                return;
            }
        } else {
            let reason = format!("{} has no {name} left", m.seat_name(seat));
            end::decide(m, v, seat, reason);
            return;
        }
    }
}

/// `Showdown(zone, limit)`: when every seat is done, the seats above the house win.
pub fn showdown(m: &mut Match, name: &str, limit: i64) {
    if m.state.done.iter().take(m.state.players).any(|d| !d) {
        return;
    }
    let Some(z) = zone(&m.rules, name) else {
        return;
    };
    let score = |m: &Match, s: usize| {
        let n = total(m, &m.state.zones[s], limit);
        if n > limit { -1 } else { n }
    };
    let house = m
        .rules
        .file
        .house
        .as_ref()
        .and_then(|h| slot_of(m, &h.hand, 0))
        .map_or(0, |s| score(m, s));
    let scores: Vec<i64> = (0..m.state.players)
        .map(|seat| score(m, slot(&m.rules, z, seat)))
        .collect();
    let winners: Vec<usize> = (0..m.state.players)
        .filter(|s| scores[*s] >= 0 && scores[*s] > house)
        .collect();
    let pushed = (0..m.state.players).any(|s| scores[s] >= 0 && scores[s] == house);
    let said = |n: i64| {
        if n < 0 {
            "bust".to_owned()
        } else {
            n.to_string()
        }
    };
    let reason = format!("the house has {}", said(house));
    let outcome = if !winners.is_empty() {
        super::play::Outcome::Win {
            seats: winners,
            reason,
        }
    } else if pushed {
        super::play::Outcome::Draw {
            reason: format!("{reason}, a tie (push)"),
        }
    } else {
        super::play::Outcome::Nobody {
            reason: format!("{reason}; the house wins"),
        }
    };
    m.finish(outcome);
}

/// The reason a typed card move is refused, when it names a card.
pub fn why_not(m: &Match, seat: usize, t: &str) -> Option<String> {
    for &r in &m.rules.seat_moves {
        if let Move::Draw { word, stuck, .. } = &m.rules.moves[r].spec
            && t == word.as_deref().unwrap_or("draw")
        {
            return Some(if *stuck && can_play(m, seat) {
                format!("You can play a card: {t} only when you cannot.")
            } else {
                format!("There is nothing left to {t}.")
            });
        }
    }
    let first = t.split([' ', '-']).collect::<Vec<_>>().concat();
    let name = t.split(' ').next().unwrap_or_default().replace('-', "");
    let id = card_by_name(&m.rules, &name).or_else(|| card_by_name(&m.rules, &first))?;
    for &r in &m.rules.seat_moves {
        if let Move::PlayCard {
            from,
            to,
            matching,
            wild,
            follow,
        } = &m.rules.moves[r].spec
        {
            let f = slot_of(m, from, seat)?;
            let held = m.state.zones.get(f)?;
            let card = m.rules.layout.cards.get(id as usize).copied()?;
            let name = card_name(&m.rules, id);
            if !held
                .iter()
                .any(|c| m.rules.layout.cards.get(*c as usize) == Some(&card))
            {
                return Some(format!("You hold no {name}."));
            }
            if *follow && !super::tricks::follows(m, held, id) {
                return Some(super::tricks::must_follow(m));
            }
            let t = zone(&m.rules, to)?;
            if !fits(m, card, t, matching, wild) {
                let on = top(m, t).map_or(String::new(), |c| {
                    let id = m
                        .rules
                        .layout
                        .cards
                        .iter()
                        .position(|k| *k == c)
                        .unwrap_or(0);
                    card_name(&m.rules, id as u16)
                });
                let suit = m
                    .state
                    .declared
                    .and_then(|s| m.rules.layout.suits.get(s as usize))
                    .map_or(String::new(), |c| format!(" (the suit to follow is {c})"));
                return Some(format!("{name} does not match {on}{suit}."));
            }
            if !wild.is_empty() {
                return Some(format!(
                    "Name the suit after a wild card: {name} {}.",
                    m.rules.layout.suits.first().copied().unwrap_or('?')
                ));
            }
        }
    }
    None
}

/// Whether `t` names a card move's shape (a card, `draw`, `stand`).
pub fn looks_like(m: &Match, t: &str) -> bool {
    let name = t.split(' ').next().unwrap_or_default().replace('-', "");
    m.rules.moves.iter().any(|r| match &r.spec {
        Move::PlayCard { .. } => card_by_name(&m.rules, &name).is_some(),
        Move::Draw { word, .. } => t == word.as_deref().unwrap_or("draw"),
        Move::Stand => t == "stand",
        _ => false,
    })
}

/// Every card `seat` may not see, shuffled among the places it could be; every die it may not
/// see rolled again.
pub fn determinize(d: &mut Match, seat: usize, rng: &mut Rng) {
    if !hides(&d.rules) || d.is_over() {
        return;
    }
    let rules = d.rules.clone();
    let mut unseen: Vec<(usize, usize)> = Vec::new();
    for (z, spec) in rules.file.zones.iter().enumerate() {
        let owners = if spec.per_seat { d.state.players } else { 1 };
        if super::reveal::redrawn(&rules, z) {
            continue;
        }
        for owner in 0..owners {
            if !sees(d, Some(seat), z, owner) {
                unseen.push((z, slot(&rules, z, owner)));
            }
        }
    }
    let mut pool: Vec<u16> = Vec::new();
    for (z, s) in &unseen {
        if let Some((_, sides)) = rules.file.zones[*z].dice {
            for v in &mut d.state.zones[*s] {
                *v = rng.below(sides.max(1) as usize) as u16 + 1;
            }
        } else {
            pool.extend(d.state.zones[*s].iter().copied());
        }
    }
    // The cards go back with the same counts; a seat known to lack a suit (it did not follow)
    // gets none of it. Seats with such a constraint are dealt first; a few shuffles are tried.
    let owner = |z: usize, s: usize| {
        rules.file.zones[z]
            .per_seat
            .then(|| s - rules.layout.offset.get(z).copied().unwrap_or(0))
    };
    let mut order: Vec<(usize, usize)> = unseen
        .iter()
        .copied()
        .filter(|(z, _)| rules.file.zones[*z].dice.is_none())
        .collect();
    order.sort_by_key(|(z, s)| {
        let o = owner(*z, *s);
        std::cmp::Reverse(o.map_or(0, |o| {
            d.state.voids.get(o).copied().unwrap_or(0).count_ones()
        }))
    });
    for attempt in 0..DEAL_TRIES {
        let mut left = pool.clone();
        shuffle(&mut left, rng);
        let mut dealt: Vec<(usize, Vec<u16>)> = Vec::new();
        let mut ok = true;
        for (z, s) in &order {
            let o = owner(*z, *s);
            let mut cards = Vec::new();
            for _ in 0..d.state.zones[*s].len() {
                let fit = left
                    .iter()
                    .rposition(|c| attempt + 1 == DEAL_TRIES || super::tricks::may_hold(d, o, *c));
                match fit {
                    Some(i) => cards.push(left.remove(i)),
                    None => ok = false,
                }
            }
            dealt.push((*s, cards));
        }
        if ok {
            for (s, cards) in dealt {
                d.state.zones[s] = cards;
            }
            return;
        }
    }
}

/// Shuffles tried for a deal that respects every known void; the last ignores them.
const DEAL_TRIES: usize = 20;

/// The name of the zone a `Showdown` compares, for checks.
pub fn zone_names(rules: &RulesFile) -> Vec<&str> {
    rules.zones.iter().map(|z| z.name.as_str()).collect()
}

/// Sentences for `!rules`: the cards, the zones, the deal, the sheet, the track, the house.
pub fn explain(f: &RulesFile) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(c) = &f.cards {
        let deck = match &c.deck {
            DeckKind::Standard52 => {
                "a standard 52 (ranks A 2 3 4 5 6 7 8 9 10 J Q K, suits s h d c; written 10h, Qs)"
                    .to_owned()
            }
            DeckKind::Deck {
                suits,
                ranks,
                copies,
                jokers,
            } => {
                let mut s = if suits.is_empty() {
                    format!("one each of {}", ranks.join(" "))
                } else {
                    format!("ranks {} in suits {suits}", ranks.join(" "))
                };
                if *copies > 1 {
                    s += &format!(", {copies} of each");
                }
                if *jokers > 0 {
                    s += &format!(", and {jokers} jokers");
                }
                s
            }
        };
        let mut s = format!("Cards: {deck}");
        if !c.values.is_empty() {
            let v: Vec<String> = c.values.iter().map(i64::to_string).collect();
            s += &format!("; worth {} by rank", v.join(" "));
        }
        if c.soft > 0 {
            s += &format!(
                "; one of the first rank counts {} more if that does not bust",
                c.soft
            );
        }
        lines.push(format!("{s}."));
    }
    for z in &f.zones {
        let whose = if z.per_seat {
            "one per player"
        } else {
            "shared"
        };
        let seen = match z.visible {
            Visibility::Public => "everyone sees it",
            Visibility::Owner => "only its owner sees it",
            Visibility::Nobody => "nobody sees it",
        };
        let mut s = format!("Zone {} ({whose}): {seen}", z.name);
        if z.top {
            s += ", only the top card shown";
        }
        if z.deck {
            s += "; it starts with every card, shuffled";
        }
        if let Some((n, sides)) = z.dice {
            s += &format!("; {n} dice of {sides} sides");
        }
        if z.words.is_some() {
            s += "; it starts with a word drawn from a list, one card per letter";
        }
        lines.push(format!("{s}."));
    }
    for r in &f.reveal {
        let when = match &r.at {
            RevealAt::Chosen => {
                "once every player has put a card in theirs; then the cards are set aside"
                    .to_owned()
            }
            RevealAt::Matched(by) => format!("card by card, once the same card is in the {by}"),
        };
        let mut s = format!("Reveal: the {} is shown to everyone {when}", r.zone);
        if !r.beats.is_empty() {
            let b: Vec<String> = r
                .beats
                .iter()
                .map(|(w, l)| format!("{w} beats {l}"))
                .collect();
            s += &format!(
                "; {}; who beats another and is beaten by none wins the round",
                b.join(", ")
            );
        }
        lines.push(format!("{s}."));
    }
    for (from, to, n) in &f.deal {
        lines.push(format!("Deal: {n} from the {from} to the {to}."));
    }
    if let Some(sheet) = &f.sheet {
        let names: Vec<&str> = sheet.categories.iter().map(|c| c.name.as_str()).collect();
        lines.push(format!(
            "Score sheet: each player fills each category once: {}.",
            names.join(", ")
        ));
        for (cats, at, extra) in &sheet.bonus {
            lines.push(format!(
                "Bonus: {} totalling {at} or more earn {extra}.",
                cats.join(", ")
            ));
        }
    }
    if let Some(t) = &f.track {
        let links: Vec<String> = t.links.iter().map(|(a, b)| format!("{a}>{b}")).collect();
        let mut s = format!("Track: squares 1 to {}", t.length);
        if !links.is_empty() {
            s += &format!(
                "; landing on the first of {} moves you to the second",
                links.join(", ")
            );
        }
        if t.exact {
            s += "; a roll past the end leaves the pawn where it is";
        }
        lines.push(format!("{s}."));
    }
    if let Some(h) = &f.house {
        let mut s = "House: once everyone is done, the house".to_owned();
        if !h.reveal.is_empty() {
            s += &format!(" turns its {} into its {},", h.reveal.join(", "), h.hand);
        }
        s += &format!(
            " draws from the {} until its total is {} or more",
            h.draw, h.until
        );
        lines.push(format!("{s}."));
    }
    lines
}
