//! `cargo xtask train`: fine-tunes the transformer NER model.

pub fn run(_args: &[String]) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}
