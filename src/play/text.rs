//! Wording helpers: plurals, quoting what someone typed without echoing all of it, and naming
//! players where the game engine names seats.

/// `1 game`, `2 games`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// How much of what someone typed a reply quotes.
pub const QUOTE_CHARS: usize = 24;

/// At most [`QUOTE_CHARS`] characters of `typed`, with `…` when cut.
pub fn quote(typed: &str) -> String {
    let typed = typed.trim();
    if typed.chars().count() <= QUOTE_CHARS {
        return typed.to_owned();
    }
    let cut: String = typed.chars().take(QUOTE_CHARS).collect();
    format!("{}…", cut.trim_end())
}

/// `text` with every occurrence of `typed` quoted short: refusals from the game engine echo the
/// move they refuse.
pub fn shorten_echo(text: &str, typed: &str) -> String {
    let typed = typed.trim();
    if typed.chars().count() <= QUOTE_CHARS || typed.is_empty() {
        return text.to_owned();
    }
    text.replace(typed, &quote(typed))
}

/// `text` with each seat name that stands as a word replaced by its player's nick: the engine's
/// sentences ("B wins the round") name seats, the room names people ("Bob wins the round").
/// Case matters, so that a seat `A` never replaces the article "a".
pub fn name_seats(text: &str, seats: &[(String, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        match seats.iter().find(|(seat, _)| seat == word) {
            Some((_, nick)) => out.push_str(nick),
            None => out.push_str(word),
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() || c == '_' || c == '-' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals() {
        assert_eq!(plural(1, "game", "games"), "1 game");
        assert_eq!(plural(0, "game", "games"), "0 games");
        assert_eq!(plural(2, "draw", "draws"), "2 draws");
    }

    #[test]
    fn quotes_are_short() {
        assert_eq!(quote("  a1 "), "a1");
        let long = "x".repeat(5000);
        assert_eq!(quote(&long).chars().count(), QUOTE_CHARS + 1);
        let refusal = format!("'{long}' is not a move here.");
        assert_eq!(
            shorten_echo(&refusal, &long),
            format!("'{}…' is not a move here.", "x".repeat(QUOTE_CHARS))
        );
    }

    #[test]
    fn seats_become_nicks_only_as_whole_words() {
        let seats = vec![
            ("A".to_owned(), "Ann".to_owned()),
            ("B".to_owned(), "Bob".to_owned()),
        ];
        assert_eq!(
            name_seats("Round 1: A rock, B paper — B wins the round.", &seats),
            "Round 1: Ann rock, Bob paper — Bob wins the round."
        );
        assert_eq!(
            name_seats("a Bat and AB stay; A's turn", &seats),
            "a Bat and AB stay; Ann's turn"
        );
    }
}
