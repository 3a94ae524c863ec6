//! Ratings: one Glicko-2 rating per player (bare JID) per game, across the whole service, as
//! lichess keeps them. Each rated game is a rating period of its own, and a rating's deviation
//! grows again with the days since its player's last rated game. Games against the computer,
//! games a room marks unrated, aborted games and games nobody won are not rated.
//!
//! All of the service's ratings are in memory (the store has them too; they are loaded at
//! start): one entry per player and game, which only finished rated games between people add.
//! In cluster mode the store adds each game's change to the stored rating, and every instance
//! reads the ratings changed since it last looked once a second (`crate::cluster`).

use std::collections::HashMap;

use bevy_ecs::prelude::*;
use xmpp_parsers::jid::BareJid;

use super::course::Ctx;
use super::table::Game;
use crate::game::Outcome;
use crate::store::{Change, StoredRating};

/// Glicko-2's scale factor between the Glicko scale and its own.
const SCALE: f64 = 173.7178;
/// The system constant: how much volatility may change (Glickman suggests 0.3 to 1.2).
const TAU: f64 = 0.5;
/// A newcomer's rating, deviation and volatility.
pub const START: (f64, f64, f64) = (1500.0, 350.0, 0.06);
/// Above this deviation a rating is provisional (shown with `?`, as lichess does).
pub const PROVISIONAL_RD: f64 = 110.0;

/// A player's rating in one game.
#[derive(Debug, Clone, PartialEq)]
pub struct Rating {
    pub rating: f64,
    pub deviation: f64,
    pub volatility: f64,
    pub games: u32,
    /// When the last rated game ended (Unix milliseconds).
    pub last_ms: i64,
    /// The nick the player had in that game, to name them by.
    pub name: String,
}

impl Default for Rating {
    fn default() -> Self {
        Rating {
            rating: START.0,
            deviation: START.1,
            volatility: START.2,
            games: 0,
            last_ms: 0,
            name: String::new(),
        }
    }
}

impl Rating {
    /// `1662` or `1500?` while provisional.
    pub fn shown(&self) -> String {
        let r = self.rating.round() as i64;
        if self.deviation > PROVISIONAL_RD {
            format!("{r}?")
        } else {
            r.to_string()
        }
    }

    /// The deviation after `days` without a rated game (never past a newcomer's).
    fn aged(&self, days: f64) -> f64 {
        let phi = self.deviation / SCALE;
        let phi = (phi * phi + days.max(0.0) * self.volatility * self.volatility).sqrt();
        (phi * SCALE).min(START.1)
    }
}

/// Every rating of the service, by game id and player.
#[derive(Resource, Debug, Default)]
pub struct Ratings(pub HashMap<(String, BareJid), Rating>);

/// One player's rating before and after a game.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingChange {
    pub seat: usize,
    pub nick: String,
    pub before: f64,
    pub after: f64,
}

impl RatingChange {
    /// `Alice 1500 → 1662 (+162)`.
    pub fn line(&self) -> String {
        let (b, a) = (self.before.round() as i64, self.after.round() as i64);
        format!("{} {b} → {a} ({:+})", self.nick, a - b)
    }
}

/// One Glicko-2 update: `player` after a rating period with `results` (opponent, score 0, ½
/// or 1). From Glickman, "Example of the Glicko-2 system" (2013).
pub fn glicko2(player: &Rating, results: &[(&Rating, f64)]) -> Rating {
    let mu = (player.rating - 1500.0) / SCALE;
    let phi = player.deviation / SCALE;
    let sigma = player.volatility;
    if results.is_empty() {
        return player.clone();
    }
    let g = |phi_j: f64| 1.0 / (1.0 + 3.0 * phi_j * phi_j / (std::f64::consts::PI.powi(2))).sqrt();
    let e = |mu_j: f64, phi_j: f64| 1.0 / (1.0 + (-g(phi_j) * (mu - mu_j)).exp());
    let mut v_inv = 0.0;
    let mut sum = 0.0;
    for (opp, score) in results {
        let mu_j = (opp.rating - 1500.0) / SCALE;
        let phi_j = opp.deviation / SCALE;
        let (gj, ej) = (g(phi_j), e(mu_j, phi_j));
        v_inv += gj * gj * ej * (1.0 - ej);
        sum += gj * (score - ej);
    }
    let v = 1.0 / v_inv;
    let delta = v * sum;
    // The new volatility, by the Illinois algorithm.
    let a = (sigma * sigma).ln();
    let f = |x: f64| {
        let ex = x.exp();
        ex * (delta * delta - phi * phi - v - ex) / (2.0 * (phi * phi + v + ex).powi(2))
            - (x - a) / (TAU * TAU)
    };
    let mut big_a = a;
    let mut big_b = if delta * delta > phi * phi + v {
        (delta * delta - phi * phi - v).ln()
    } else {
        let mut k = 1.0;
        while f(a - k * TAU) < 0.0 && k < 100.0 {
            k += 1.0;
        }
        a - k * TAU
    };
    let (mut fa, mut fb) = (f(big_a), f(big_b));
    let mut rounds = 0;
    while (big_b - big_a).abs() > 1e-6 && rounds < 100 {
        let c = big_a + (big_a - big_b) * fa / (fb - fa);
        let fc = f(c);
        if fc * fb <= 0.0 {
            big_a = big_b;
            fa = fb;
        } else {
            fa /= 2.0;
        }
        big_b = c;
        fb = fc;
        rounds += 1;
    }
    let sigma_new = (big_a / 2.0).exp();
    let phi_star = (phi * phi + sigma_new * sigma_new).sqrt();
    let phi_new = 1.0 / (1.0 / (phi_star * phi_star) + 1.0 / v).sqrt();
    let mu_new = mu + phi_new * phi_new * sum;
    let finite = |x: f64, or: f64| if x.is_finite() { x } else { or };
    Rating {
        rating: finite(SCALE * mu_new + 1500.0, player.rating),
        deviation: finite(SCALE * phi_new, player.deviation).min(START.1),
        volatility: finite(sigma_new, player.volatility),
        games: player.games + 1,
        last_ms: player.last_ms,
        name: player.name.clone(),
    }
}

/// Each seat's score against each other seat: a winner beats everyone who did not win, and
/// equals share the point. `None`: nothing to rate (nobody won).
fn scores(game: &Game) -> Option<Vec<Vec<(usize, f64)>>> {
    let n = game.players.len();
    let winners: Vec<usize> = match game.play.outcome()? {
        Outcome::Win { seats, .. } => seats.clone(),
        Outcome::Draw { .. } => Vec::new(),
        Outcome::Nobody { .. } => return None,
    };
    let won = |s: usize| winners.contains(&s);
    Some(
        (0..n)
            .map(|me| {
                (0..n)
                    .filter(|o| *o != me)
                    .map(|o| {
                        let score = match (won(me), won(o)) {
                            (true, false) => 1.0,
                            (false, true) => 0.0,
                            _ => 0.5,
                        };
                        (o, score)
                    })
                    .collect()
            })
            .collect(),
    )
}

/// Rates a finished game: updates the players' ratings, queues them for the store (they are
/// announced in the same tick, so they wait for its commit) and says how they moved.
pub fn rate(ctx: &mut Ctx, game: &Game) -> Vec<RatingChange> {
    let Some(scores) = scores(game) else {
        return Vec::new();
    };
    let game_id = game.play.rules.id().to_owned();
    let now_ms = ctx.now.0.timestamp_millis();
    let jids: Vec<Option<BareJid>> = game.players.iter().map(|p| p.jid.clone()).collect();
    if jids.iter().any(Option::is_none) {
        return Vec::new();
    }
    // Everyone's rating before the game, aged by the days since their last rated game.
    let before: Vec<Rating> = jids
        .iter()
        .flatten()
        .map(|jid| {
            let mut r = ctx
                .ratings
                .0
                .get(&(game_id.clone(), jid.clone()))
                .cloned()
                .unwrap_or_default();
            if r.games > 0 {
                let days = (now_ms - r.last_ms) as f64 / 86_400_000.0;
                r.deviation = r.aged(days);
            }
            r
        })
        .collect();
    let mut changes = Vec::new();
    for (seat, jid) in jids.iter().flatten().enumerate() {
        let results: Vec<(&Rating, f64)> = scores[seat]
            .iter()
            .map(|(o, score)| (&before[*o], *score))
            .collect();
        let mut after = glicko2(&before[seat], &results);
        after.last_ms = now_ms;
        after.name = game.players[seat].nick.clone();
        changes.push(RatingChange {
            seat,
            nick: after.name.clone(),
            before: before[seat].rating,
            after: after.rating,
        });
        ctx.store.0.push(Change::PutRating(StoredRating {
            service: ctx.service.settings.domain.to_string(),
            game: game_id.clone(),
            jid: jid.to_string(),
            name: after.name.clone(),
            rating: after.rating,
            deviation: after.deviation,
            volatility: after.volatility,
            games: i64::from(after.games),
            last_ms: after.last_ms,
            delta: after.rating - before[seat].rating,
        }));
        ctx.ratings.0.insert((game_id.clone(), jid.clone()), after);
    }
    changes
}

/// Puts stored ratings back (at start).
pub fn restore(ratings: &mut Ratings, stored: Vec<StoredRating>) {
    for s in stored {
        let Ok(jid) = s.jid.parse::<BareJid>() else {
            tracing::warn!(jid = %s.jid, "stored rating with an invalid JID skipped");
            continue;
        };
        let sane = |x: f64, lo: f64, hi: f64, or: f64| {
            if x.is_finite() && x >= lo && x <= hi {
                x
            } else {
                or
            }
        };
        ratings.0.insert(
            (s.game, jid),
            Rating {
                rating: sane(s.rating, -10_000.0, 10_000.0, START.0),
                deviation: sane(s.deviation, 0.0, START.1, START.1),
                volatility: sane(s.volatility, 0.0, 1.0, START.2),
                games: u32::try_from(s.games).unwrap_or(0),
                last_ms: s.last_ms,
                name: s.name,
            },
        );
    }
}

/// `!rating [NICK]`: someone's ratings (the current game's first).
pub fn show(ctx: &Ctx, room: Entity, me: &BareJid, me_nick: &str, who: &str) -> String {
    let current = ctx.tables.get(room).ok().map(|t| t.rules.id().to_owned());
    let (jid, name) = if who.is_empty() {
        (Some(me.clone()), me_nick.to_owned())
    } else if let Some(o) = ctx.rooms.occupant_by_nick(room, who) {
        (Some(o.jid.to_bare()), o.nick)
    } else {
        // Someone not here: by the name they were last rated under.
        let found = ctx
            .ratings
            .0
            .iter()
            .find(|((_, _), r)| r.name == who)
            .map(|((_, j), _)| j.clone());
        (found, who.to_owned())
    };
    let Some(jid) = jid else {
        return format!("{} has no rating here.", super::text::quote(&name));
    };
    let mut mine: Vec<(&String, &Rating)> = ctx
        .ratings
        .0
        .iter()
        .filter(|((_, j), _)| *j == jid)
        .map(|((g, _), r)| (g, r))
        .collect();
    mine.sort_by_key(|(g, _)| (Some(*g) != current.as_ref(), (*g).clone()));
    if mine.is_empty() {
        return format!(
            "{} has no rating yet: rated games between people count.",
            super::text::quote(&name)
        );
    }
    let lines: Vec<String> = mine
        .iter()
        .map(|(g, r)| {
            let game = ctx
                .catalog
                .find(g)
                .map_or((*g).clone(), |r| r.name().to_owned());
            format!(
                "{game} {} (±{}, {})",
                r.shown(),
                r.deviation.round() as i64,
                super::text::plural(u64::from(r.games), "game", "games")
            )
        })
        .collect();
    format!("{name}: {}.", lines.join("; "))
}

/// How many players `!top` lists.
const TOP: usize = 10;

/// `!top [GAME]`: the best rated players of a game.
pub fn top(ctx: &Ctx, room: Entity, which: &str) -> String {
    let rules = if which.is_empty() {
        ctx.tables.get(room).ok().map(|t| t.rules.clone())
    } else {
        ctx.catalog.find(which)
    };
    let Some(rules) = rules else {
        return "Which game? !top GAME; !games lists them.".into();
    };
    let mut all: Vec<&Rating> = ctx
        .ratings
        .0
        .iter()
        .filter(|((g, _), _)| g == rules.id())
        .map(|(_, r)| r)
        .collect();
    if all.is_empty() {
        return format!("Nobody has a {} rating yet.", rules.name());
    }
    // Established ratings first, as leaderboards do.
    all.sort_by(|a, b| {
        (a.deviation > PROVISIONAL_RD)
            .cmp(&(b.deviation > PROVISIONAL_RD))
            .then(b.rating.total_cmp(&a.rating))
    });
    let lines: Vec<String> = all
        .iter()
        .take(TOP)
        .enumerate()
        .map(|(i, r)| format!("{}. {} {}", i + 1, r.name, r.shown()))
        .collect();
    format!("Best {} players:\n{}", rules.name(), lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(rating: f64, deviation: f64) -> Rating {
        Rating {
            rating,
            deviation,
            ..Rating::default()
        }
    }

    /// Glickman's worked example: 1500 (RD 200) beats 1400 (30), loses to 1550 (100) and to
    /// 1700 (300): 1464.06, RD 151.52, volatility 0.05999.
    #[test]
    fn glickmans_example() {
        let me = r(1500.0, 200.0);
        let (a, b, c) = (r(1400.0, 30.0), r(1550.0, 100.0), r(1700.0, 300.0));
        let after = glicko2(&me, &[(&a, 1.0), (&b, 0.0), (&c, 0.0)]);
        assert!((after.rating - 1464.06).abs() < 0.05, "{after:?}");
        assert!((after.deviation - 151.52).abs() < 0.05, "{after:?}");
        assert!((after.volatility - 0.05999).abs() < 0.00001, "{after:?}");
        assert_eq!(after.games, 1);
    }

    #[test]
    fn newcomers_move_a_lot_and_symmetrically() {
        let (a, b) = (Rating::default(), Rating::default());
        let win = glicko2(&a, &[(&b, 1.0)]);
        let loss = glicko2(&b, &[(&a, 0.0)]);
        assert!(win.rating > 1650.0, "{win:?}");
        assert!(((win.rating - 1500.0) + (loss.rating - 1500.0)).abs() < 1e-6);
        assert!(win.deviation < 350.0);
        assert_eq!(win.shown(), format!("{}?", win.rating.round() as i64));
    }

    #[test]
    fn deviation_grows_back_with_time() {
        let mut x = r(1700.0, 60.0);
        x.volatility = 0.06;
        assert!((x.aged(0.0) - 60.0).abs() < 1e-9);
        assert!(x.aged(365.0) > 60.0 && x.aged(365.0) < 350.0);
        assert_eq!(x.aged(1e12), 350.0);
    }
}
