//! Where the sample statements live: `../shared/statements/` beside the repository (never
//! copied into it), or `PASSBOOK_STATEMENT_SAMPLES`.
pub fn samples_dir() -> std::path::PathBuf {
    let dir = std::env::var("PASSBOOK_STATEMENT_SAMPLES")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/statements"));
    assert!(dir.join("SOURCES.md").exists(), "the sample statements are expected in {}", dir.display());
    dir
}
