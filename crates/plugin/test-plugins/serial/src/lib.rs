//! A plugin that declares itself *not* thread-safe and fails any call made while another is
//! in progress on the same instance, so a host that forgets to serialise calls is caught.

use std::sync::atomic::{AtomicUsize, Ordering};

use nerlab_core::{BuildContext, Document, Entity, Error, Extractor, Family, Label, Result};

/// Marks the first byte of every document as `FIRST`, slowly.
pub struct Serial {
    labels: Vec<Label>,
    in_flight: AtomicUsize,
}

impl Extractor for Serial {
    fn name(&self) -> &str {
        "serial"
    }
    fn labels(&self) -> &[Label] {
        &self.labels
    }
    fn extract(&self, document: &Document) -> Result<Vec<Entity>> {
        let before = self.in_flight.fetch_add(1, Ordering::SeqCst);
        // Long enough for concurrent callers to overlap.
        std::thread::sleep(std::time::Duration::from_millis(2));
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        if before != 0 {
            return Err(Error::extraction("called concurrently although not declared thread-safe"));
        }
        match document.text.chars().next() {
            Some(c) => Ok(vec![Entity::new(&document.text, 0, c.len_utf8(), self.labels[0].clone())?]),
            None => Ok(vec![]),
        }
    }
}

/// Serial takes no parameters (and ignores any).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct SerialConfig {}

impl Family for Serial {
    const KIND: &'static str = "serial";
    type Config = SerialConfig;

    fn from_config(_config: SerialConfig, _ctx: &BuildContext<'_>) -> Result<Self> {
        Ok(Serial { labels: vec![Label::new("FIRST")?], in_flight: AtomicUsize::new(0) })
    }
}

nerlab_plugin::export_plugin!(Serial, labels = &["FIRST"], thread_safe = false);
