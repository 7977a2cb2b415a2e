//! `cargo xtask gazetteer`: rebuilds models/gazetteers/ from their sources.

pub fn run(_args: &[String]) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}
