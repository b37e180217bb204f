//! Scenario errors that say where and what: `file:line:col: field.path: message`.

use std::borrow::Cow;
use std::fmt;

/// `text` as a message may quote it: control characters escaped (`\u{1}`, `\n`), so a value
/// from a file cannot move a terminal's cursor or split the message's line.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// One problem in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// Field path such as `backend.services[0].workers`; empty for syntax errors.
    pub path: String,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: ", self.file)?;
        } else {
            write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    // The I/O error is in the message, not a `source`: `{:#}` would print it twice.
    #[error("{file}: cannot read scenario: {error}")]
    Io { file: String, error: std::io::Error },
    #[error("{}", render(.0))]
    Invalid(Vec<Diagnostic>),
}

fn render(d: &[Diagnostic]) -> String {
    let lines: Vec<String> = d.iter().map(|d| d.to_string()).collect();
    lines.join("\n")
}

impl ScenarioError {
    /// The diagnostics, if the file was read but is not valid.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            ScenarioError::Invalid(d) => d,
            ScenarioError::Io { .. } => &[],
        }
    }
}

/// A problem found after parsing, positioned later from its field path.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub path: String,
    pub message: String,
    /// Another field the problem is about (the first of two duplicates): positioned too, its
    /// `file:line:column` is added to the message.
    pub also: Option<String>,
}

impl Problem {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            path: path.into(),
            message: message.into(),
            also: None,
        }
    }
}
