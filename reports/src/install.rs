//! Putting a report's files into its directory all at once: each file is written into a staging
//! directory inside the report directory (the same file system, so each move is a rename), and
//! only when all are written are they moved into place, in order (index.html last). A report
//! that cannot be written (a full disk, a name the file system refuses) leaves the directory as
//! it was, rather than new charts next to an earlier report's index.html.
//!
//! A report into a directory that holds an earlier one removes the earlier report's files that
//! it does not write again (charts of runs no longer shown): a directory published as a CI
//! artefact would otherwise ship charts that contradict its page. Only files a report wrote are
//! removed: the names listed in the directory's [`MANIFEST`], or, for a report written before
//! there was one, the chart files its `index.html` links to.
//!
//! Not covered: a kill between the first and the last rename (milliseconds) leaves some files
//! new; the stage it leaves behind is swept by a later report once it is an hour old.

use crate::report::ReportError;
use std::path::{Path, PathBuf};

/// Staging directories are named `.spillway-report-*.tmp`.
const STAGE_PREFIX: &str = ".spillway-report-";
const STAGE_SUFFIX: &str = ".tmp";
/// A stage older than this was left by a killed report: no report takes an hour to write.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);
/// The names of the files the report in a directory wrote, one per line.
pub(crate) const MANIFEST: &str = ".spillway-report-files";

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError {
    let path = path.display().to_string();
    move |error| ReportError::Io { path, error }
}

/// Puts `files` (name, contents) into `dir`, created if missing. When a write fails, nothing of
/// them reaches `dir`, and the directories created here are removed again.
pub(crate) fn install(dir: &Path, files: &[(String, &[u8])]) -> Result<(), ReportError> {
    let created = missing_ancestors(dir);
    let earlier = earlier_files(dir);
    let mut manifest: String = files.iter().map(|(name, _)| format!("{name}\n")).collect();
    manifest.push_str(MANIFEST);
    manifest.push('\n');
    let mut all: Vec<(String, &[u8])> = Vec::with_capacity(files.len() + 1);
    // Before index.html, which goes last: the page is the sign that a report is complete.
    let last = files.len().saturating_sub(1);
    all.extend(files[..last].iter().cloned());
    all.push((MANIFEST.to_string(), manifest.as_bytes()));
    all.extend(files[last..].iter().cloned());
    // create_dir_all over a file says "File exists", which reads as if the report were refused
    // for existing at all.
    if dir.exists() && !dir.is_dir() {
        return Err(io_error(dir)(std::io::Error::new(
            std::io::ErrorKind::NotADirectory,
            "not a directory (the report is a directory of files: name a new or existing directory)",
        )));
    }
    let result = std::fs::create_dir_all(dir).map_err(io_error(dir)).and_then(|()| {
        sweep_stale_stages(dir);
        let stage = make_stage(dir)?;
        let mut moves = Vec::with_capacity(all.len());
        let moved = stage_files(dir, &stage, &all, &mut moves).and_then(|()| move_in(&moves));
        // Ours alone: `make_stage` created it. Files staged beside a link's target go too.
        let _ = std::fs::remove_dir_all(&stage);
        for (staged, _) in &moves {
            if !staged.starts_with(&stage) {
                let _ = std::fs::remove_file(staged);
            }
        }
        moved
    });
    if result.is_err() {
        // Deepest first, and only while empty: a failed move may already have put files in.
        for d in &created {
            let _ = std::fs::remove_dir(d);
        }
        return result;
    }
    remove_earlier(dir, &earlier, &all);
    result
}

/// The files an earlier report in `dir` wrote: its manifest's names, or the charts its
/// `index.html` links to (reports from before the manifest). Plain names only: nothing outside
/// `dir` can be named.
fn earlier_files(dir: &Path) -> Vec<String> {
    let plain = |n: &str| !n.is_empty() && !n.contains(['/', '\\']) && n != "." && n != "..";
    if let Ok(text) = std::fs::read_to_string(dir.join(MANIFEST)) {
        return text
            .lines()
            .map(str::trim)
            .filter(|n| plain(n))
            .map(String::from)
            .collect();
    }
    let Ok(page) = std::fs::read_to_string(dir.join("index.html")) else {
        return Vec::new();
    };
    if !page.contains("report · ") || !page.contains("<p class=sub>spillway ") {
        // Not a page a spillway report wrote: its links are none of our business.
        return Vec::new();
    }
    page.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|n| plain(n) && (n.ends_with(".png") || n.ends_with(".svg")))
        .map(String::from)
        .collect()
}

/// Removes the earlier report's files that this one did not write (regular files only: a link
/// or a directory by that name is the user's).
fn remove_earlier(dir: &Path, earlier: &[String], written: &[(String, &[u8])]) {
    let mut removed = 0;
    for name in earlier {
        if written.iter().any(|(w, _)| w == name) {
            continue;
        }
        let path = dir.join(name);
        if path.symlink_metadata().is_ok_and(|m| m.is_file()) && std::fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::info!(
            "removed {removed} file(s) of the earlier report in {} that this one does not draw",
            dir.display()
        );
    }
}

/// `dir` and its ancestors that do not exist yet, deepest first.
fn missing_ancestors(dir: &Path) -> Vec<PathBuf> {
    dir.ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && d.symlink_metadata().is_err())
        .map(Path::to_path_buf)
        .collect()
}

/// A new, empty staging directory in `dir`, created here (never one that was there: its
/// removal would take another run's files with it).
fn make_stage(dir: &Path) -> Result<PathBuf, ReportError> {
    static STAGES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut last = None;
    for _ in 0..64 {
        let n = STAGES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // The pid repeats across containers sharing a volume; the time and counter tell apart.
        let name = format!("{STAGE_PREFIX}{}-{nanos}-{n}{STAGE_SUFFIX}", std::process::id());
        let stage = dir.join(name);
        match std::fs::create_dir(&stage) {
            Ok(()) => return Ok(stage),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(stage),
            Err(e) => return Err(io_error(&stage)(e)),
        }
    }
    let stage = last.unwrap_or_else(|| dir.to_path_buf());
    Err(io_error(&stage)(std::io::Error::other(
        "64 staging directory names in a row already exist",
    )))
}

/// Removes stages that killed reports left behind.
fn sweep_stale_stages(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(STAGE_PREFIX) && name.ends_with(STAGE_SUFFIX)) {
            continue;
        }
        let stale = e
            .metadata()
            .ok()
            .filter(std::fs::Metadata::is_dir)
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_AFTER);
        if stale {
            tracing::debug!("removing {}, left by a report that was killed", e.path().display());
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Writes every file into the stage, pushing (staged, final) paths onto `moves`; a target that
/// is an existing file passes on its permissions (a report published by a web server keeps
/// being readable by it). A target that is a symbolic link is staged beside where it points
/// and moved there (a rename over the link would replace it with a file and leave where it
/// points stale), so a link into a full or read-only place fails here, before any move.
fn stage_files(
    dir: &Path,
    stage: &Path,
    files: &[(String, &[u8])],
    moves: &mut Vec<(PathBuf, PathBuf)>,
) -> Result<(), ReportError> {
    for (name, bytes) in files {
        let target = dir.join(name);
        // A directory in the way would stop the moves half-way: find it before any.
        if target.is_dir() {
            return Err(io_error(&target)(std::io::Error::other("a directory is in the way")));
        }
        let is_link = target.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink());
        let (staged, to) = if is_link {
            let resolved = std::fs::canonicalize(&target).map_err(io_error(&target))?;
            let beside = resolved.with_file_name(format!(
                "{}{}",
                stage.file_name().map_or_else(Default::default, |n| n.to_string_lossy()),
                name.replace('/', "_")
            ));
            (beside, resolved)
        } else {
            (stage.join(name), target.clone())
        };
        moves.push((staged.clone(), to.clone()));
        std::fs::write(&staged, bytes).map_err(io_error(&target))?;
        if let Ok(m) = std::fs::metadata(&to) {
            std::fs::set_permissions(&staged, m.permissions()).map_err(io_error(&target))?;
        }
    }
    Ok(())
}

/// Moves the staged files into place, in order.
fn move_in(moves: &[(PathBuf, PathBuf)]) -> Result<(), ReportError> {
    for (staged, to) in moves {
        std::fs::rename(staged, to).map_err(io_error(to))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dir(PathBuf);
    impl Dir {
        fn new(name: &str) -> Dir {
            let p = std::env::temp_dir().join(format!("spillway-install-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            Dir(p)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn files<'a>(list: &[(&str, &'a str)]) -> Vec<(String, &'a [u8])> {
        list.iter().map(|(n, t)| (n.to_string(), t.as_bytes())).collect()
    }

    /// A directory with a stage's name (another run's, a leftover) is neither used nor removed.
    #[test]
    fn a_directory_with_a_stage_name_is_left_alone() {
        let d = Dir::new("collide");
        let other =
            d.0.join(format!("{STAGE_PREFIX}{}-0-0{STAGE_SUFFIX}", std::process::id()));
        std::fs::create_dir(&other).unwrap();
        std::fs::write(other.join("theirs"), "x").unwrap();
        install(&d.0, &files(&[("index.html", "new")])).unwrap();
        assert_eq!(std::fs::read_to_string(other.join("theirs")).unwrap(), "x");
        assert_eq!(std::fs::read_to_string(d.0.join("index.html")).unwrap(), "new");
        assert_eq!(names(&d.0).len(), 3, "{:?}", names(&d.0));
    }

    /// An hour-old stage (a killed report's) is swept; a fresh one may be a running report's.
    #[test]
    fn stale_stages_are_swept() {
        let d = Dir::new("stale");
        let old = d.0.join(format!("{STAGE_PREFIX}1-1-1{STAGE_SUFFIX}"));
        let fresh = d.0.join(format!("{STAGE_PREFIX}2-2-2{STAGE_SUFFIX}"));
        for s in [&old, &fresh] {
            std::fs::create_dir(s).unwrap();
            std::fs::write(s.join("chart.svg"), "x").unwrap();
        }
        let two_hours_ago = std::time::SystemTime::now() - 2 * STALE_AFTER;
        std::fs::File::open(&old).unwrap().set_modified(two_hours_ago).unwrap();
        install(&d.0, &files(&[("index.html", "new")])).unwrap();
        assert!(!old.exists(), "the stale stage is swept");
        assert!(fresh.exists(), "a fresh stage is another report's");
    }

    /// A file that cannot be written leaves nothing: no file, no stage, and none of the
    /// directories it created on the way.
    #[test]
    fn a_failed_install_removes_what_it_created() {
        let d = Dir::new("fail");
        let deep = d.0.join("a/b/c");
        // A name with a directory the stage does not have cannot be written.
        let e = install(&deep, &files(&[("summary.md", "s"), ("no/such.md", "x")])).unwrap_err();
        assert!(e.to_string().contains("no/such.md"), "{e}");
        assert!(names(&d.0).is_empty(), "{:?}", names(&d.0));
    }

    /// A file where the report's directory should be is named as such, and left as it was.
    #[test]
    fn a_file_in_place_of_the_directory_is_named() {
        let d = Dir::new("afile");
        let file = d.0.join("report");
        std::fs::write(&file, "mine").unwrap();
        let e = install(&file, &files(&[("index.html", "new")])).unwrap_err();
        assert!(e.to_string().contains("not a directory"), "{e}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
    }

    /// A directory that cannot be created leaves none of the parents made on the way.
    #[test]
    fn a_directory_that_cannot_be_made_leaves_no_parents() {
        let d = Dir::new("parents");
        let deep = d.0.join("new/a").join("x".repeat(300));
        install(&deep, &files(&[("index.html", "new")])).unwrap_err();
        assert!(names(&d.0).is_empty(), "{:?}", names(&d.0));
    }

    /// A second report into the same directory removes the first one's charts that it does not
    /// draw again, and nothing else: not the user's files, not a chart a foreign page links to.
    #[test]
    fn an_earlier_reports_charts_are_removed() {
        let d = Dir::new("earlier");
        std::fs::write(d.0.join("notes.png"), "mine").unwrap();
        install(
            &d.0,
            &files(&[
                ("a.svg", "1"),
                ("a.png", "1"),
                ("b.svg", "1"),
                ("b.png", "1"),
                ("index.html", "1"),
            ]),
        )
        .unwrap();
        install(&d.0, &files(&[("a.svg", "2"), ("a.png", "2"), ("index.html", "2")])).unwrap();
        assert_eq!(names(&d.0), [MANIFEST, "a.png", "a.svg", "index.html", "notes.png"]);
        assert_eq!(std::fs::read_to_string(d.0.join("a.svg")).unwrap(), "2");

        // A report from before the manifest: the charts its page links to.
        let old = Dir::new("earlier-old");
        let page = "<h1>t</h1><p class=sub>spillway 0.1.0 report · 2 runs</p>\
             <a href=\"x.png\">PNG</a><a href=\"x.svg\">SVG</a><a href=\"../up.png\">up</a>";
        for f in ["x.png", "x.svg", "keep.png"] {
            std::fs::write(old.0.join(f), "old").unwrap();
        }
        std::fs::write(old.0.join("index.html"), page).unwrap();
        install(&old.0, &files(&[("y.png", "new"), ("index.html", "new")])).unwrap();
        assert_eq!(names(&old.0), [MANIFEST, "index.html", "keep.png", "y.png"]);

        // A page another tool wrote: its links stay.
        let foreign = Dir::new("earlier-foreign");
        std::fs::write(foreign.0.join("x.png"), "theirs").unwrap();
        std::fs::write(foreign.0.join("index.html"), "<a href=\"x.png\">x</a>").unwrap();
        install(&foreign.0, &files(&[("index.html", "new")])).unwrap();
        assert!(foreign.0.join("x.png").exists());
    }

    /// A link to a place that cannot be written fails before any file is moved in.
    #[cfg(unix)]
    #[test]
    fn a_link_that_cannot_be_written_through_moves_nothing() {
        let d = Dir::new("dangling");
        std::fs::write(d.0.join("index.html"), "old").unwrap();
        std::os::unix::fs::symlink(d.0.join("gone/junit.xml"), d.0.join("junit.xml")).unwrap();
        let e = install(
            &d.0,
            &files(&[("chart.svg", "new"), ("junit.xml", "new"), ("index.html", "new")]),
        )
        .unwrap_err();
        assert!(e.to_string().contains("junit.xml"), "{e}");
        assert_eq!(std::fs::read_to_string(d.0.join("index.html")).unwrap(), "old");
        assert_eq!(names(&d.0), ["index.html", "junit.xml"], "no chart, no stage");
    }

    /// A symlinked file is written through, and an existing file keeps its permissions.
    #[cfg(unix)]
    #[test]
    fn links_and_permissions_are_kept() {
        use std::os::unix::fs::PermissionsExt as _;
        let d = Dir::new("links");
        let www = d.0.join("www");
        let report = d.0.join("report");
        std::fs::create_dir_all(&www).unwrap();
        std::fs::create_dir_all(&report).unwrap();
        std::fs::write(www.join("junit.xml"), "old").unwrap();
        std::os::unix::fs::symlink(www.join("junit.xml"), report.join("junit.xml")).unwrap();
        std::fs::write(report.join("summary.md"), "old").unwrap();
        std::fs::set_permissions(report.join("summary.md"), std::fs::Permissions::from_mode(0o664)).unwrap();
        install(&report, &files(&[("summary.md", "new"), ("junit.xml", "new")])).unwrap();
        assert!(report
            .join("junit.xml")
            .symlink_metadata()
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(www.join("junit.xml")).unwrap(), "new");
        let mode = std::fs::metadata(report.join("summary.md"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o664);
        assert_eq!(std::fs::read_to_string(report.join("summary.md")).unwrap(), "new");
    }
}
