//! Writes the repository's own LibreLinkUp fixtures (`fixtures/llu/`) from the fake's answers
//! (`tidewatch_tests::fake::fixtures`). `tests/tests/integration/fake_llu.rs` checks that the files in the
//! repository are what this writes, so they cannot drift from the fake.

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/llu");
    std::fs::create_dir_all(&dir)?;
    for (name, body) in tidewatch_tests::fake::fixtures::fixtures() {
        std::fs::write(dir.join(name), body)?;
        println!("wrote fixtures/llu/{name}");
    }
    Ok(())
}
