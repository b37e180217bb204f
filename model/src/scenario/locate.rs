//! Finds where a field path (`backend.services[0].workers`) sits in the TOML source, so that
//! semantic errors found after deserialization still point at a line and column.

use std::ops::Range;
use toml_edit::{ImDocument, Item, Table, Value};

/// One step of a field path.
#[derive(Clone, Debug, PartialEq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// Splits `a.b[0].c` into segments.
pub fn parse_path(path: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let mut rest = part;
        if let Some(b) = rest.find('[') {
            if b > 0 {
                out.push(Seg::Key(rest[..b].to_string()));
            }
            rest = &rest[b..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let Some(end) = stripped.find(']') else { break };
                if let Ok(i) = stripped[..end].parse() {
                    out.push(Seg::Index(i));
                }
                rest = &stripped[end + 1..];
            }
        } else if !rest.is_empty() {
            out.push(Seg::Key(rest.to_string()));
        }
    }
    out
}

enum Node<'a> {
    Table(&'a Table),
    Item(&'a Item),
    Value(&'a Value),
}

impl<'a> Node<'a> {
    fn span(&self) -> Option<Range<usize>> {
        match self {
            Node::Table(t) => t.span(),
            Node::Item(i) => i.span(),
            Node::Value(v) => v.span(),
        }
    }

    fn child(&self, seg: &Seg) -> Option<Node<'a>> {
        match (self, seg) {
            (Node::Table(t), Seg::Key(k)) => t.get(k).map(Node::Item),
            (Node::Item(i), Seg::Key(k)) => match i {
                Item::Table(t) => t.get(k).map(Node::Item),
                Item::Value(Value::InlineTable(t)) => t.get(k).map(Node::Value),
                _ => None,
            },
            (Node::Value(Value::InlineTable(t)), Seg::Key(k)) => t.get(k).map(Node::Value),
            (Node::Item(Item::ArrayOfTables(a)), Seg::Index(n)) => a.get(*n).map(Node::Table),
            (Node::Item(Item::Value(Value::Array(a))), Seg::Index(n))
            | (Node::Value(Value::Array(a)), Seg::Index(n)) => a.get(*n).map(Node::Value),
            _ => None,
        }
    }
}

/// The byte span of the deepest part of `path` present in the document.
pub fn span_of(doc: &ImDocument<String>, path: &str) -> Option<Range<usize>> {
    let mut node = Node::Table(doc.as_table());
    let mut best = None;
    for seg in parse_path(path) {
        match node.child(&seg) {
            Some(next) => {
                if let Some(s) = next.span() {
                    best = Some(s);
                }
                node = next;
            }
            None => break,
        }
    }
    best
}

/// Whether the document itself writes `path` (every segment of it present): a key left to its
/// default is not given, even when its table is. [`span_of`] falls back to the nearest table
/// that is present, which positions an error about a missing key but cannot tell whether the
/// key was written (`run.window` "was given" whenever a `[run]` table existed).
pub fn is_given(doc: &ImDocument<String>, path: &str) -> bool {
    let mut node = Node::Table(doc.as_table());
    for seg in parse_path(path) {
        match node.child(&seg) {
            Some(next) => node = next,
            None => return false,
        }
    }
    true
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = &src[..floor_char_boundary(src, offset)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split() {
        assert_eq!(
            parse_path("backend.services[0].workers"),
            vec![
                Seg::Key("backend".into()),
                Seg::Key("services".into()),
                Seg::Index(0),
                Seg::Key("workers".into())
            ]
        );
        assert_eq!(
            parse_path("a.q[1][0]"),
            vec![Seg::Key("a".into()), Seg::Key("q".into()), Seg::Index(1), Seg::Index(0)]
        );
    }

    #[test]
    fn finds_nested_values() {
        let src = "[run]\nseed = 3\n\n[[backend.services]]\nname = \"a\"\nworkers = 0\nservice_time = { dist = \"exponential\", mean = \"x\" }\n";
        let doc = ImDocument::parse(src.to_string()).unwrap();
        let s = span_of(&doc, "backend.services[0].workers").unwrap();
        assert_eq!(line_col(src, s.start), (6, 11));
        let s = span_of(&doc, "backend.services[0].service_time.mean").unwrap();
        assert_eq!(&src[s.clone()], "\"x\"");
        // A missing key falls back to its table.
        let s = span_of(&doc, "backend.services[0].nothing").unwrap();
        assert_eq!(line_col(src, s.start).0, 4);
    }

    /// A key is given only when written: its table alone is not enough (a `[run]` table made
    /// the default window look given, so `scenario check` refused it).
    #[test]
    fn a_key_is_given_only_when_written() {
        let src = "[run]\nseed = 3\n\n[[backend.services]]\nname = \"a\"\nservice_time = { dist = \"exponential\", mean = \"1s\" }\n";
        let doc = ImDocument::parse(src.to_string()).unwrap();
        assert!(span_of(&doc, "run.window").is_some(), "positions fall back to [run]");
        assert!(!is_given(&doc, "run.window"));
        assert!(!is_given(&doc, "run.duration"));
        assert!(is_given(&doc, "run.seed"));
        assert!(is_given(&doc, "run"));
        assert!(is_given(&doc, "backend.services[0].service_time.mean"));
        assert!(!is_given(&doc, "backend.services[0].service_time.median"));
        assert!(!is_given(&doc, "backend.services[1].name"));
        assert!(!is_given(&doc, "clients.timeout"));
    }
}
