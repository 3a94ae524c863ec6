//! Reading a rules file and placing mistakes: every mistake is `file:line:col: sentence` at
//! the place of the mistake (never inside a comment).

use std::fmt;
use std::path::{Path, PathBuf};

use super::spec::RulesFile;

/// A mistake in a rules file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesError {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.col,
            self.message
        )
    }
}

impl std::error::Error for RulesError {}

/// Parses a rules file's text; `Some(…)` may be left out around optional values.
pub fn parse(file: &Path, text: &str) -> Result<RulesFile, Vec<RulesError>> {
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str::<RulesFile>(text)
        .map_err(|e| {
            vec![RulesError {
                file: file.to_owned(),
                line: e.span.start.line,
                col: e.span.start.col,
                message: sentence(&e.code.to_string()),
            }]
        })
}

/// RON's messages as a sentence.
fn sentence(message: &str) -> String {
    let mut s = message.trim().to_owned();
    if let Some(first) = s.get(..1) {
        s = first.to_uppercase() + s.get(1..).unwrap_or_default();
    }
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

/// The text with comments blanked (same length, same lines), so that a search never lands
/// in one.
fn code_only(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            if b == b'\\' {
                i += 2;
                continue;
            }
            if b == b'"' {
                in_string = false;
            }
            i += 1;
        } else if b == b'"' {
            in_string = true;
            i += 1;
        } else if b == b'/' && bytes.get(i + 1) == Some(&b'/') {
            while i < bytes.len() && bytes[i] != b'\n' {
                out[i] = b' ';
                i += 1;
            }
        } else if b == b'/' && bytes.get(i + 1) == Some(&b'*') {
            while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                if bytes[i] != b'\n' {
                    out[i] = b' ';
                }
                i += 1;
            }
            for _ in 0..2 {
                if i < bytes.len() {
                    out[i] = b' ';
                    i += 1;
                }
            }
        } else {
            i += 1;
        }
    }
    // Only ASCII bytes were replaced, by ASCII: still UTF-8.
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

/// Collects semantic mistakes with the position of what they concern.
pub struct Checker<'a> {
    file: &'a Path,
    code: String,
    pub errors: Vec<RulesError>,
}

impl<'a> Checker<'a> {
    pub fn new(file: &'a Path, text: &str) -> Checker<'a> {
        Checker {
            file,
            code: code_only(text),
            errors: Vec::new(),
        }
    }

    /// Byte offset of `needle` at or after `from`.
    fn find(&self, needle: &str, from: usize) -> Option<usize> {
        self.code
            .get(from..)
            .and_then(|rest| rest.find(needle))
            .map(|i| i + from)
    }

    fn push_at(&mut self, offset: usize, message: String) {
        let before = self.code.get(..offset).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let col = before.rfind('\n').map_or(offset, |nl| offset - nl - 1) + 1;
        self.errors.push(RulesError {
            file: self.file.to_owned(),
            line,
            col,
            message,
        });
    }

    /// Records `message` at the first occurrence of `needle`.
    pub fn at(&mut self, needle: &str, message: String) {
        self.at_after(&[], needle, message);
    }

    /// Records `message` at `needle`, searched after each anchor in turn (e.g. an example's
    /// name, then `at:`); where something is missing, at the last place found.
    pub fn at_after(&mut self, anchors: &[&str], needle: &str, message: String) {
        let mut from = 0;
        for a in anchors {
            if let Some(i) = self.find(a, from) {
                from = i;
            }
        }
        let at = self.find(needle, from).unwrap_or(from);
        self.push_at(at, message);
    }

    /// Records `message` at the `n`th (0-based) `needle` after `anchor`.
    pub fn at_nth_after(&mut self, anchor: &str, needle: &str, n: usize, message: String) {
        let mut at = self.find(anchor, 0).unwrap_or(0);
        for i in 0..=n {
            match self.find(needle, at + usize::from(i > 0)) {
                Some(next) => at = next,
                None => break,
            }
        }
        self.push_at(at, message);
    }
}
