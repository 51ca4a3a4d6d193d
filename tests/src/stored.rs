//! What the local runtime stored for a Durable Object class, read and changed in its SQLite files (`_cf_KV`, one
//! file per object) through Python's `sqlite3`: how tests see which object holds what, and how they put back data
//! as an earlier build stored it.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One stored value: the object's file, its key and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// The object's SQLite file.
    pub file: PathBuf,
    /// The key.
    pub key: String,
    /// The value, as text (a value that is not text is shown as Python prints its bytes).
    pub value: String,
}

/// The directory of class `class`'s objects under the persisted state `state` (`v3/do/tidewatch-<class>`).
pub fn class_dir(state: &Path, class: &str) -> PathBuf {
    state.join("v3/do").join(format!("tidewatch-{class}"))
}

/// The SQLite files of class `class`'s objects: one per object that has been asked anything (the runtime's own
/// `metadata.sqlite` left out).
pub fn objects(state: &Path, class: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(class_dir(state, class))
        .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|f| f.extension().is_some_and(|e| e == "sqlite") && !f.ends_with("metadata.sqlite"));
    files.sort();
    files
}

/// The file of the object named `name` (the local runtime notes each object's name beside its storage).
pub fn object_named(state: &Path, class: &str, name: &str) -> Option<PathBuf> {
    const SCRIPT: &str = "import sqlite3, sys\n\
        for f in sys.argv[2:]:\n\
        \x20   c = sqlite3.connect('file:' + f + '?mode=ro', uri=True)\n\
        \x20   try:\n\
        \x20       if any(n == sys.argv[1] for (n,) in c.execute('select name from __miniflare_do_name')): print(f)\n\
        \x20   except sqlite3.OperationalError:\n\
        \x20       pass\n";
    let out = Command::new("python3").args(["-c", SCRIPT, name]).args(objects(state, class)).output().ok()?;
    String::from_utf8_lossy(&out.stdout).lines().next().map(PathBuf::from)
}

/// Every value every object of `class` stored (read-only: the runtime may be running).
pub fn values(state: &Path, class: &str) -> Vec<Stored> {
    const SCRIPT: &str = "import sqlite3, sys\n\
        for f in sys.argv[1:]:\n\
        \x20   c = sqlite3.connect('file:' + f + '?mode=ro', uri=True)\n\
        \x20   try:\n\
        \x20       rows = c.execute('select key, value from _cf_KV order by key').fetchall()\n\
        \x20   except sqlite3.OperationalError:\n\
        \x20       rows = []\n\
        \x20   for k, v in rows:\n\
        \x20       v = v.decode('utf-8', 'replace') if isinstance(v, bytes) else str(v)\n\
        \x20       print(f, k, v.replace('\\t', ' ').replace('\\n', ' '), sep='\\t')\n";
    let files = objects(state, class);
    if files.is_empty() {
        return Vec::new();
    }
    let out = Command::new("python3").args(["-c", SCRIPT]).args(&files).output();
    let out = out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    out.lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, '\t');
            let (file, key, value) = (parts.next()?, parts.next()?, parts.next()?);
            Some(Stored { file: file.into(), key: key.into(), value: value.into() })
        })
        .collect()
}

/// Moves the values of `keys` from the object file `from` to the object file `to`, byte for byte (the runtime
/// must be stopped; `to`'s table of values is made as the runtime makes it if the object never stored anything).
pub fn move_values(from: &Path, to: &Path, keys: &[String]) -> io::Result<()> {
    const SCRIPT: &str = "import sqlite3, sys\n\
        src, dst = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])\n\
        dst.execute('create table if not exists _cf_KV (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID')\n\
        for k in sys.argv[3:]:\n\
        \x20   row = src.execute('select value from _cf_KV where key = ?', (k,)).fetchone()\n\
        \x20   if row is None: sys.exit('no value ' + k)\n\
        \x20   dst.execute('insert or replace into _cf_KV (key, value) values (?, ?)', (k, row[0]))\n\
        \x20   src.execute('delete from _cf_KV where key = ?', (k,))\n\
        dst.commit(); src.commit()\n";
    run(Command::new("python3").args(["-c", SCRIPT]).arg(from).arg(to).args(keys))
}

/// Deletes the values of `keys` from the object file `file` (the runtime must be stopped).
pub fn delete_values(file: &Path, keys: &[String]) -> io::Result<()> {
    // Nothing to delete: the file is not opened at all. An object that was only read may have no table yet (the
    // runtime creates it at the first write), and deleting from it would fail for no reason.
    if keys.is_empty() {
        return Ok(());
    }
    const SCRIPT: &str = "import sqlite3, sys\n\
        c = sqlite3.connect(sys.argv[1])\n\
        c.executemany('delete from _cf_KV where key = ?', [(k,) for k in sys.argv[2:]])\n\
        c.commit()\n";
    run(Command::new("python3").args(["-c", SCRIPT]).arg(file).args(keys))
}

fn run(command: &mut Command) -> io::Result<()> {
    let out = command.output()?;
    if out.status.success() { Ok(()) } else { Err(io::Error::other(String::from_utf8_lossy(&out.stderr).into_owned())) }
}

/// When each object of `class` that has an alarm set will be woken, Unix ms, by object file (the local runtime
/// keeps the alarms beside the objects, in nanoseconds).
pub fn alarms(state: &Path, class: &str) -> Vec<(PathBuf, i64)> {
    const SCRIPT: &str = "import sqlite3, sys\n\
        c = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)\n\
        try:\n\
        \x20   rows = c.execute('select * from _cf_ALARM').fetchall()\n\
        except sqlite3.OperationalError:\n\
        \x20   rows = []\n\
        for row in rows:\n\
        \x20   if row[1] is not None: print(row[0], row[1] // 1000000, sep='\\t')\n";
    let dir = class_dir(state, class);
    let out = Command::new("python3").args(["-c", SCRIPT]).arg(dir.join("metadata.sqlite")).output();
    let out = out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    out.lines()
        .filter_map(|line| {
            let (id, at) = line.split_once('\t')?;
            Some((dir.join(format!("{id}.sqlite")), at.parse().ok()?))
        })
        .collect()
}
