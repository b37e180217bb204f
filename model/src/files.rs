//! Reading a file a user named, bounded: `report /dev/zero` or a results path that is really a
//! disk image must end with an error, not fill memory.

use std::io::Read as _;
use std::path::Path;

/// Scenario files are small; anything larger is a wrong path.
pub const MAX_SCENARIO_BYTES: u64 = 16 << 20;
/// Results files, sweep tables and replication summaries. The largest a run writes is about
/// 10^5 windows of ~1 KB each (the window cap), with room for services and histograms.
pub const MAX_RESULTS_BYTES: u64 = 1 << 30;
/// PEM certificate bundles; the system's whole bundle is about 200 KiB.
pub const MAX_PEM_BYTES: u64 = 4 << 20;

/// The bytes of `path`, or an error when it holds more than `max`: `what` names what the file
/// should have been ("a results file").
///
/// A regular file is measured before it is read (one too large costs nothing); a pipe or a
/// device is read up to the bound.
pub fn read_at_most(path: &Path, max: u64, what: &str) -> std::io::Result<Vec<u8>> {
    let too_large = || std::io::Error::other(format!("larger than {}: not {what}", size_text(max)));
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    if let Some(m) = file.metadata().ok().filter(std::fs::Metadata::is_file) {
        if m.len() > max {
            return Err(too_large());
        }
        // Exactly its size (a file growing meanwhile is still cut at the bound below).
        bytes.reserve_exact(usize::try_from(m.len()).unwrap_or(0));
    }
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(too_large());
    }
    Ok(bytes)
}

/// A JSON error's message without the " at line L column C" serde_json ends it with, for
/// messages that give the position up front as `file:line:column`.
pub fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&suffix).map_or_else(|| text.clone(), str::to_string)
}

fn size_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_messages_lose_only_their_position() {
        let e = serde_json::from_str::<u32>("\n  \"x\"").unwrap_err();
        assert_eq!((e.line(), e.column()), (2, 5));
        assert_eq!(json_message(&e), "invalid type: string \"x\", expected u32");
    }

    #[test]
    fn an_endless_file_is_refused_after_the_bound() {
        let e = read_at_most(Path::new("/dev/zero"), 1 << 20, "a results file").expect_err("bounded");
        assert_eq!(e.to_string(), "larger than 1 MiB: not a results file");
    }

    #[test]
    fn a_file_at_the_bound_is_read_whole() {
        let dir = std::env::temp_dir().join(format!("spillway-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("ten");
        std::fs::write(&f, b"0123456789").unwrap();
        assert_eq!(read_at_most(&f, 10, "x").unwrap(), b"0123456789");
        assert_eq!(
            read_at_most(&f, 9, "a tiny file").unwrap_err().to_string(),
            "larger than 9 bytes: not a tiny file"
        );
        // A regular file too large is refused by its size, unread: a sparse terabyte is instant.
        let big = dir.join("big");
        std::fs::File::create(&big).unwrap().set_len(1 << 40).unwrap();
        let e = read_at_most(&big, 1 << 30, "a results file").unwrap_err();
        assert_eq!(e.to_string(), "larger than 1 GiB: not a results file");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
