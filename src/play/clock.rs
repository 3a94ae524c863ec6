//! Time controls, as online game servers offer them: a time per move (what the rules declare by
//! default), or a game clock — main time plus a Fischer increment after each move, or main time
//! then byo-yomi periods. Room owners choose within the rules' bounds (`!clock`, or the
//! configuration form). Each seat's clock runs while it is to move; the clock state stored with
//! the game is the time each seat had left at the last move, so a restored game continues from
//! there.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::game::Rules;
use crate::game::rules::{ClockChoices, OnTimeout};

/// A time control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeControl {
    /// Each move within `secs`; the rules say what running out does (lose or be skipped).
    PerMove { secs: u64 },
    /// `main` seconds for the game, `increment` added after each move (Fischer), then `periods`
    /// byo-yomi periods of `period` seconds: a move within a period keeps it, a period run out
    /// is lost, and the last one lost loses the game.
    Game {
        main: u64,
        increment: u64,
        periods: u32,
        period: u64,
    },
}

/// The longest time anything may be set to (a week), so that no deadline overflows.
const MAX_SECS: u64 = 7 * 86_400;

impl TimeControl {
    /// Reads `30s/move` (or `move 30`), `5+3` (minutes + seconds, as lichess writes it), `10`
    /// (minutes, no increment), `10 byo 5x30` or `10+5x30s` (minutes, then periods × seconds).
    pub fn parse(text: &str) -> Result<TimeControl, String> {
        let t = text
            .trim()
            .to_lowercase()
            .replace(' ', "")
            .replace('×', "x");
        let hint = "Clocks look like 30s/move, 5+3 (minutes + seconds added per move) or 10byo5x30 (minutes, then 5 periods of 30 s).";
        let num = |s: &str| -> Result<u64, String> {
            s.trim_end_matches('s')
                .trim_end_matches("sec")
                .parse::<u64>()
                .map_err(|_| hint.to_owned())
        };
        let per_move = t
            .strip_suffix("/move")
            .or_else(|| t.strip_prefix("move"))
            .or_else(|| t.strip_suffix("permove"));
        if let Some(secs) = per_move {
            let secs = num(secs.trim_end_matches('s'))?;
            return bounded(TimeControl::PerMove { secs });
        }
        let (main, rest) = match t.find(['+', 'b']) {
            Some(i) => (&t[..i], &t[i..]),
            None => (t.as_str(), ""),
        };
        let minutes = |s: &str| -> Result<u64, String> {
            let s = s.trim_end_matches("min").trim_end_matches('m');
            if let Some((m, sec)) = s.split_once(':') {
                return Ok(num(m)? * 60 + num(sec)?);
            }
            // Fractions of a minute as lichess allows: ½ = 0.5.
            match s.parse::<f64>() {
                Ok(m) if m.is_finite() && m >= 0.0 => Ok((m * 60.0).round() as u64),
                _ => Err(hint.to_owned()),
            }
        };
        let main = minutes(main)?;
        let rest = rest.trim_start_matches('+');
        let (increment, byo) = match rest.strip_prefix("byo") {
            Some(b) => (0, Some(b)),
            None if rest.contains('x') => (0, Some(rest)),
            None if rest.is_empty() => (0, None),
            None => (num(rest)?, None),
        };
        let (periods, period) = match byo {
            Some(b) => {
                let (p, len) = b.split_once(['x', '×']).ok_or_else(|| hint.to_owned())?;
                let p = u32::try_from(num(p)?).map_err(|_| hint.to_owned())?;
                (p, num(len)?)
            }
            None => (0, 0),
        };
        bounded(TimeControl::Game {
            main,
            increment,
            periods,
            period,
        })
    }

    /// Whether the rules' bounds (or the general ones) allow this control.
    pub fn allowed(&self, choices: &ClockChoices) -> Result<(), String> {
        let within = |v: u64, r: Option<(u64, u64)>, what: &str| match r {
            Some((least, most)) if v >= least && v <= most => Ok(()),
            Some((least, most)) => Err(format!(
                "{what} must be from {} to {}.",
                secs_text(least),
                secs_text(most)
            )),
            None => Err(format!("{what} cannot be chosen for this game.")),
        };
        match *self {
            TimeControl::PerMove { secs } => within(secs, choices.per_move_secs, "A time per move"),
            TimeControl::Game {
                main,
                increment,
                periods,
                period,
            } => {
                within(main, choices.main_secs, "A game clock's main time")?;
                if increment > choices.max_increment_secs {
                    return Err(format!(
                        "The increment is at most {}.",
                        secs_text(choices.max_increment_secs)
                    ));
                }
                if periods > choices.max_periods {
                    return Err(format!("At most {} byo-yomi periods.", choices.max_periods));
                }
                if periods > 0 {
                    within(period, choices.period_secs, "A byo-yomi period")?;
                }
                Ok(())
            }
        }
    }

    /// `30s/move`, `5+3`, `10+5×30s`: the short notation.
    pub fn notation(&self) -> String {
        match *self {
            TimeControl::PerMove { secs } => format!("{secs}s/move"),
            TimeControl::Game {
                main,
                increment,
                periods,
                period,
            } => {
                let m = if main % 60 == 0 {
                    (main / 60).to_string()
                } else {
                    format!("{}:{:02}", main / 60, main % 60)
                };
                if periods > 0 {
                    format!("{m}+{periods}×{period}s")
                } else {
                    format!("{m}+{increment}")
                }
            }
        }
    }

    /// `30 s per move`, `5 min + 3 s per move`, `10 min, then 5 × 30 s`.
    pub fn describe(&self) -> String {
        match *self {
            TimeControl::PerMove { secs } => format!("{} per move", secs_text(secs)),
            TimeControl::Game {
                main,
                increment,
                periods,
                period,
            } => {
                let mut s = format!("{} for the game", secs_text(main));
                if increment > 0 {
                    s.push_str(&format!(", plus {} per move", secs_text(increment)));
                }
                if periods > 0 {
                    s.push_str(&format!(
                        ", then {periods} byo-yomi period{} of {}",
                        if periods == 1 { "" } else { "s" },
                        secs_text(period)
                    ));
                }
                s
            }
        }
    }
}

fn bounded(control: TimeControl) -> Result<TimeControl, String> {
    let too_long = match control {
        TimeControl::PerMove { secs } => secs > MAX_SECS || secs == 0,
        TimeControl::Game {
            main,
            increment,
            periods,
            period,
        } => {
            main > MAX_SECS
                || increment > MAX_SECS
                || period > MAX_SECS
                || periods > 100
                || (main == 0 && periods == 0)
                || (periods > 0 && period == 0)
        }
    };
    if too_long {
        return Err("That clock is out of range (a week at most, and more than nothing).".into());
    }
    Ok(control)
}

/// `45 s`, `2 min`, `1 h 30 min`.
pub fn secs_text(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 && s % 60 == 0 => format!("{} min", s / 60),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// `4:32`, or `1:04:32`.
pub fn clock_text(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// The rules' default time control (`None`: the game has no clock).
pub fn rules_default(rules: &Rules) -> Option<TimeControl> {
    rules.clock().map(|c| TimeControl::PerMove {
        secs: c.per_move_secs.clamp(1, MAX_SECS),
    })
}

/// The time control a game starts with: the room's (`!clock`, the configuration form) when the
/// game's bounds allow it, else the rules' default — with a note saying so.
pub fn for_room(rules: &Rules, room_clock: &str) -> (Option<TimeControl>, Option<String>) {
    let default = rules_default(rules);
    if room_clock.trim().is_empty() {
        return (default, None);
    }
    let fallback = match default {
        Some(c) => format!("the rules' {}", c.describe()),
        None => "no clock".into(),
    };
    match TimeControl::parse(room_clock).and_then(|c| c.allowed(&choices(rules)).map(|()| c)) {
        Ok(c) => (Some(c), None),
        Err(why) => (
            default,
            Some(format!(
                "The room's clock {} does not suit {} ({}), so: {fallback}.",
                room_clock.trim(),
                rules.name(),
                why.trim_end_matches('.')
            )),
        ),
    }
}

/// The bounds owners choose within for this game.
pub fn choices(rules: &Rules) -> ClockChoices {
    rules
        .clock()
        .and_then(|c| c.choices.clone())
        .unwrap_or(ClockChoices::GENERAL)
}

/// What running out of a time per move does in this game.
pub fn per_move_effect(rules: &Rules) -> OnTimeout {
    rules.clock().map_or(OnTimeout::Forfeit, |c| c.on_timeout)
}

/// Every seat's clock in one game.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clocks {
    pub control: TimeControl,
    /// Per seat: main time left, in milliseconds, as of its last move.
    pub bank_ms: Vec<i64>,
    /// Per seat: byo-yomi periods left.
    pub periods: Vec<u32>,
    /// Per seat: since when its clock runs (it is to move); not stored: a restored game's
    /// clocks start again from the time left.
    #[serde(skip)]
    pub since: Vec<Option<DateTime<Utc>>>,
}

impl Clocks {
    pub fn new(control: TimeControl, seats: usize) -> Clocks {
        let (bank, periods) = match control {
            TimeControl::PerMove { .. } => (0, 0),
            TimeControl::Game { main, periods, .. } => (main as i64 * 1000, periods),
        };
        Clocks {
            control,
            bank_ms: vec![bank; seats],
            periods: vec![periods; seats],
            since: vec![None; seats],
        }
    }

    /// Whether clocks read back from the store make sense (a database row is input too).
    pub fn sane(&self) -> bool {
        let limit = MAX_SECS as i64 * 1000;
        bounded(self.control).is_ok()
            && self.bank_ms.len() == self.periods.len()
            && self.bank_ms.iter().all(|b| (0..=limit).contains(b))
            && self.periods.iter().all(|p| *p <= 100)
    }

    /// Makes exactly the seats in `to_move` run: a seat that just became due starts at `now`.
    pub fn run(&mut self, to_move: &[usize], now: DateTime<Utc>) {
        self.since.resize(self.bank_ms.len(), None);
        for (seat, since) in self.since.iter_mut().enumerate() {
            if !to_move.contains(&seat) {
                *since = None;
            } else if since.is_none() {
                *since = Some(now);
            }
        }
    }

    /// `seat` moved at `now`: its time is charged (and an increment added); returns how long it
    /// took, in milliseconds.
    pub fn charge(&mut self, seat: usize, now: DateTime<Utc>) -> i64 {
        let Some(since) = self.since.get_mut(seat).and_then(Option::take) else {
            return 0;
        };
        let used = (now - since).num_milliseconds().max(0);
        if let TimeControl::Game {
            increment, period, ..
        } = self.control
            && let (Some(bank), Some(periods)) =
                (self.bank_ms.get_mut(seat), self.periods.get_mut(seat))
        {
            if used <= *bank {
                *bank += increment as i64 * 1000 - used;
            } else {
                let over = used - *bank;
                *bank = 0;
                let lost = if period == 0 {
                    0
                } else {
                    over / (period as i64 * 1000)
                };
                *periods = periods.saturating_sub(u32::try_from(lost).unwrap_or(u32::MAX));
            }
        }
        used
    }

    /// When `seat`'s time runs out, if its clock runs.
    pub fn deadline(&self, seat: usize) -> Option<DateTime<Utc>> {
        let since = (*self.since.get(seat)?)?;
        let ms = match self.control {
            TimeControl::PerMove { secs } => secs as i64 * 1000,
            TimeControl::Game { period, .. } => {
                self.bank_ms.get(seat).copied().unwrap_or(0)
                    + i64::from(self.periods.get(seat).copied().unwrap_or(0)) * period as i64 * 1000
            }
        };
        since.checked_add_signed(Duration::milliseconds(ms))
    }

    /// The first time any running clock runs out.
    pub fn next_deadline(&self) -> Option<DateTime<Utc>> {
        (0..self.bank_ms.len())
            .filter_map(|s| self.deadline(s))
            .min()
    }

    /// Seats whose time has run out at `now`.
    pub fn flagged(&self, now: DateTime<Utc>) -> Vec<usize> {
        (0..self.bank_ms.len())
            .filter(|s| self.deadline(*s).is_some_and(|d| d <= now))
            .collect()
    }

    /// `4:32`, `0:00 + 3×30s`: what `seat` has left at `now`.
    pub fn left(&self, seat: usize, now: DateTime<Utc>) -> String {
        let used = self
            .since
            .get(seat)
            .copied()
            .flatten()
            .map_or(0, |since| (now - since).num_milliseconds().max(0));
        match self.control {
            TimeControl::PerMove { secs } => clock_text(secs as i64 * 1000 - used),
            TimeControl::Game { period, .. } => {
                let bank = self.bank_ms.get(seat).copied().unwrap_or(0);
                let periods = self.periods.get(seat).copied().unwrap_or(0);
                if used < bank || periods == 0 {
                    let main = clock_text(bank - used);
                    if periods > 0 {
                        format!("{main} + {periods}×{period}s")
                    } else {
                        main
                    }
                } else {
                    let over = used - bank;
                    let p = period as i64 * 1000;
                    let lost = u32::try_from(over / p.max(1)).unwrap_or(u32::MAX);
                    let left = periods.saturating_sub(lost);
                    format!(
                        "byo-yomi {} ({} left)",
                        clock_text(p - over % p.max(1)),
                        left
                    )
                }
            }
        }
    }

    /// The clocks in a status line: `1:00 per move.` (or `0:42 left of 1:00.` once it runs
    /// down), or `Clocks (5+3): Alice 4:32, Bob 3:10.`
    pub fn status(&self, to_move: &[usize], nicks: &[String], now: DateTime<Utc>) -> String {
        match self.control {
            TimeControl::PerMove { secs } => {
                let full = clock_text(secs as i64 * 1000);
                let left = to_move.first().map_or(full.clone(), |s| self.left(*s, now));
                if left == full {
                    format!("{full} per move.")
                } else {
                    format!("{left} left of {full}.")
                }
            }
            TimeControl::Game { .. } => {
                let times: Vec<String> = nicks
                    .iter()
                    .enumerate()
                    .map(|(seat, nick)| format!("{nick} {}", self.left(seat, now)))
                    .collect();
                format!(
                    "Clocks ({}): {}.",
                    self.control.notation(),
                    times.join(", ")
                )
            }
        }
    }

    /// Whether the clock is a game clock (runs out for good).
    pub fn is_game_clock(&self) -> bool {
        matches!(self.control, TimeControl::Game { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::seconds(secs)
    }

    #[test]
    fn notations_read_and_write() {
        for (text, want) in [
            ("30s/move", TimeControl::PerMove { secs: 30 }),
            ("move 90", TimeControl::PerMove { secs: 90 }),
            (
                "5+3",
                TimeControl::Game {
                    main: 300,
                    increment: 3,
                    periods: 0,
                    period: 0,
                },
            ),
            (
                "10",
                TimeControl::Game {
                    main: 600,
                    increment: 0,
                    periods: 0,
                    period: 0,
                },
            ),
            (
                "10 byo 5x30",
                TimeControl::Game {
                    main: 600,
                    increment: 0,
                    periods: 5,
                    period: 30,
                },
            ),
            (
                "0.5+0",
                TimeControl::Game {
                    main: 30,
                    increment: 0,
                    periods: 0,
                    period: 0,
                },
            ),
        ] {
            let got = TimeControl::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(got, want, "{text}");
            assert_eq!(TimeControl::parse(&got.notation()), Ok(got), "{text}");
        }
        for bad in [
            "",
            "fast",
            "5+x",
            "99999999+0",
            "0+0",
            "move 0",
            "10 byo 5x0",
        ] {
            assert!(TimeControl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bounds_come_from_the_rules() {
        let choices = ClockChoices {
            per_move_secs: Some((10, 600)),
            main_secs: Some((60, 3600)),
            max_increment_secs: 10,
            max_periods: 0,
            period_secs: None,
        };
        assert!(TimeControl::PerMove { secs: 60 }.allowed(&choices).is_ok());
        assert!(TimeControl::PerMove { secs: 5 }.allowed(&choices).is_err());
        let fischer = TimeControl::parse("5+3").unwrap_or_else(|e| panic!("{e}"));
        assert!(fischer.allowed(&choices).is_ok());
        let big = TimeControl::parse("5+30").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            big.allowed(&choices),
            Err("The increment is at most 10 s.".into())
        );
        let byo = TimeControl::parse("10 byo 3x30").unwrap_or_else(|e| panic!("{e}"));
        assert!(byo.allowed(&choices).is_err());
    }

    #[test]
    fn fischer_charges_and_adds() {
        let mut c = Clocks::new(
            TimeControl::parse("1+2").unwrap_or_else(|e| panic!("{e}")),
            2,
        );
        c.run(&[0], at(0));
        assert_eq!(c.deadline(0), Some(at(60)));
        assert_eq!(c.charge(0, at(10)), 10_000);
        assert_eq!(c.bank_ms[0], 52_000);
        c.run(&[1], at(10));
        assert_eq!(c.deadline(0), None);
        assert_eq!(c.deadline(1), Some(at(70)));
        assert_eq!(c.flagged(at(70)), [1]);
        assert_eq!(c.left(1, at(40)), "0:30");
    }

    #[test]
    fn byo_yomi_keeps_a_period_used_in_time_and_loses_one_run_out() {
        let mut c = Clocks::new(
            TimeControl::parse("1 byo 3x10").unwrap_or_else(|e| panic!("{e}")),
            1,
        );
        c.run(&[0], at(0));
        assert_eq!(c.deadline(0), Some(at(90)));
        // 65 s: main time gone, 5 s into the first period: it is kept.
        c.charge(0, at(65));
        assert_eq!((c.bank_ms[0], c.periods[0]), (0, 3));
        c.run(&[0], at(65));
        assert_eq!(c.deadline(0), Some(at(95)));
        // 15 s: one period run out, the next one used.
        c.charge(0, at(80));
        assert_eq!(c.periods[0], 2);
        c.run(&[0], at(80));
        assert_eq!(c.left(0, at(83)), "byo-yomi 0:07 (2 left)");
        assert_eq!(c.flagged(at(100)), [0]);
    }

    #[test]
    fn per_move_resets_each_turn() {
        let mut c = Clocks::new(TimeControl::PerMove { secs: 30 }, 2);
        c.run(&[0, 1], at(0));
        assert_eq!(c.next_deadline(), Some(at(30)));
        c.charge(0, at(20));
        c.run(&[1], at(20));
        assert_eq!(c.deadline(1), Some(at(30)));
        c.run(&[0], at(25));
        assert_eq!(c.deadline(0), Some(at(55)));
    }
}
