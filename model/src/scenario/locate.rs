//! Finds where a field path (`backend.services[0].workers`) sits in the TOML source, so that
//! semantic errors found after deserialization still point at a line and column.

use std::ops::Range;
use toml_edit::{ImDocument, Item, Table, TableLike, Value};

/// One step of a field path.
#[derive(Clone, Debug, PartialEq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// Splits `a.b[0].c` into segments. A key that is not bare (`gateway.services."api.v2"`, a
/// service named with a dot) is quoted, as TOML writes it and as [`key`] gives it.
pub fn parse_path(path: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut chars = path.chars();
    let mut bare = String::new();
    let flush = |bare: &mut String, out: &mut Vec<Seg>| {
        if !bare.is_empty() {
            out.push(Seg::Key(std::mem::take(bare)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '.' => flush(&mut bare, &mut out),
            '"' if bare.is_empty() => {
                let mut quoted = String::new();
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => quoted.extend(chars.next()),
                        _ => quoted.push(q),
                    }
                }
                out.push(Seg::Key(quoted));
            }
            '[' => {
                flush(&mut bare, &mut out);
                let mut index = String::new();
                for d in chars.by_ref() {
                    if d == ']' {
                        break;
                    }
                    index.push(d);
                }
                if let Ok(i) = index.parse() {
                    out.push(Seg::Index(i));
                }
            }
            _ => bare.push(c),
        }
    }
    flush(&mut bare, &mut out);
    out
}

/// `name` as one segment of a field path: bare when TOML allows it, else quoted.
pub fn key(name: &str) -> String {
    let is_bare = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if is_bare {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    }
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

    /// The span of the key naming `seg`'s child: a table made by dotted keys
    /// (`gateway.strategy = "bounded"`) has no span of its own, and its first key is where it
    /// is written.
    fn key_span(&self, seg: &Seg) -> Option<Range<usize>> {
        let Seg::Key(k) = seg else { return None };
        self.table_like()?.key(k).and_then(|k| k.span())
    }

    /// The node as a table (a header's, dotted keys', or an inline one), if it is one.
    fn table_like(&self) -> Option<&'a dyn TableLike> {
        match *self {
            Node::Table(t) | Node::Item(Item::Table(t)) => Some(t),
            Node::Item(Item::Value(Value::InlineTable(t))) | Node::Value(Value::InlineTable(t)) => Some(t),
            _ => None,
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
        let key_span = node.key_span(&seg);
        match node.child(&seg) {
            Some(next) => {
                if let Some(s) = next.span().or(key_span) {
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

/// Whether the document writes a table at `path` whose only key is `key` (an inline table,
/// or one made by a header or dotted keys).
pub fn is_table_of_one(doc: &ImDocument<String>, path: &str, key: &str) -> bool {
    let mut node = Node::Table(doc.as_table());
    for seg in parse_path(path) {
        match node.child(&seg) {
            Some(next) => node = next,
            None => return false,
        }
    }
    node.table_like().is_some_and(|t| t.len() == 1 && t.contains_key(key))
}

/// How a list was written where one table may belong.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ListForm {
    /// `[[a.b]]` headers.
    Headers,
    /// `b = [{ ... }]`.
    Inline,
}

/// `text` with the list at `path` replaced by its element `index`, when that element is a
/// table: the same document with one table where it had a list of them (to ask the schema
/// whether a table belongs there). `None` when `path` is not such a list.
pub fn with_element_as_table(text: &str, path: &[Seg], index: usize) -> Option<(String, ListForm)> {
    let mut doc: toml_edit::DocumentMut = text.parse().ok()?;
    let (Seg::Key(last), parent) = path.split_last()? else {
        return None;
    };
    let mut node: &mut dyn toml_edit::TableLike = doc.as_table_mut();
    let mut segs = parent.iter().peekable();
    while let Some(seg) = segs.next() {
        let Seg::Key(k) = seg else { return None };
        let item = node.get_mut(k)?;
        node = match segs.next_if(|s| matches!(s, Seg::Index(_))) {
            Some(Seg::Index(n)) => match item {
                Item::ArrayOfTables(a) => a.get_mut(*n)?,
                Item::Value(Value::Array(a)) => a.get_mut(*n)?.as_inline_table_mut()?,
                _ => return None,
            },
            _ => item.as_table_like_mut()?,
        };
    }
    let item = node.get_mut(last)?;
    let (one, form) = match item {
        Item::ArrayOfTables(a) => (Item::Table(a.get(index)?.clone()), ListForm::Headers),
        Item::Value(Value::Array(a)) => (
            Item::Value(Value::InlineTable(a.get(index)?.as_inline_table()?.clone())),
            ListForm::Inline,
        ),
        _ => return None,
    };
    *item = one;
    Some((doc.to_string(), form))
}

/// Line and column of many offsets in one text: the line starts found once. [`line_col`]
/// counts from the start of the text, so positioning each of 20,000 problems in a 1 MB file
/// took 5 s, and 100,000 in 6 MB did not finish.
pub struct Positions<'a> {
    src: &'a str,
    /// Byte offset of each line's start.
    starts: Vec<usize>,
    /// The last offset asked for, its line and column: the next on the same line counts on
    /// from there (a list written inline is one long line).
    last: (usize, usize, usize),
}

impl<'a> Positions<'a> {
    pub fn new(src: &'a str) -> Positions<'a> {
        let starts = std::iter::once(0)
            .chain(src.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Positions {
            src,
            starts,
            last: (0, 1, 1),
        }
    }

    /// What [`line_col`] gives, in O(log lines) plus the characters since the last offset asked
    /// for on the same line (fastest in increasing order).
    pub fn line_col(&mut self, offset: usize) -> (usize, usize) {
        let src = self.src;
        let offset = floor_char_boundary(src, offset.min(src.len()));
        // The number of line starts at or before `offset`: at least one (0).
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts.get(line.wrapping_sub(1)).copied().unwrap_or(0);
        let (last_offset, last_line, last_col) = self.last;
        let (from, col) = if last_line == line && (start..=offset).contains(&last_offset) {
            (last_offset, last_col)
        } else {
            (start, 1)
        };
        let col = col + src[from..offset].chars().count();
        self.last = (offset, line, col);
        (line, col)
    }
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

    /// The index gives what counting from the start gives, in any order of offsets, within a
    /// line of many characters and across lines.
    #[test]
    fn positions_agree_with_counting() {
        let src = "a = 1\nb = [\"é\", \"ключ\", 3]\n\nlast";
        let mut offsets: Vec<usize> = (0..=src.len() + 2).collect();
        offsets.extend((0..=src.len()).rev());
        let mut p = Positions::new(src);
        for o in offsets {
            assert_eq!(p.line_col(o), line_col(src, o), "offset {o}");
        }
    }

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

    /// A name with a dot (valid for services and APIs) is one quoted segment, both ways.
    #[test]
    fn quoted_keys_are_one_segment() {
        for name in ["a.b", "api.v2.orders", "plain", "with \"quote\" and \\"] {
            let path = format!("gateway.services.{}.concurrency", key(name));
            assert_eq!(
                parse_path(&path),
                vec![
                    Seg::Key("gateway".into()),
                    Seg::Key("services".into()),
                    Seg::Key(name.into()),
                    Seg::Key("concurrency".into())
                ],
                "{path}"
            );
        }
        assert_eq!(key("a.b"), "\"a.b\"");
        assert_eq!(key("legacy-1"), "legacy-1");
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

    /// A table written with dotted keys has no span: a missing key of it fell back to the
    /// document (1:1); it is at the first dotted key naming the table.
    #[test]
    fn a_dotted_table_is_where_its_key_is() {
        let src = "workload.phases = [{ duration = \"10s\", rate = 10 }]\n\
                   backend.services = [{ name = \"a\", workers = 1, service_time = \"1s\" }]\n\
                   gateway.strategy = \"bounded\"\n";
        let doc = ImDocument::parse(src.to_string()).unwrap();
        let s = span_of(&doc, "gateway.queue_capacity").unwrap();
        assert_eq!(line_col(src, s.start), (3, 1));
        let s = span_of(&doc, "gateway.strategy").unwrap();
        assert_eq!(line_col(src, s.start), (3, 20));
        // Also within an inline table's dotted keys.
        let src = "[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"1s\"\nfaults = { x.y = 1 }\n";
        let doc = ImDocument::parse(src.to_string()).unwrap();
        let s = span_of(&doc, "backend.services[0].faults.x.z").unwrap();
        assert_eq!(line_col(src, s.start), (5, 12));
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
