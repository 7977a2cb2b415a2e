//! Throughput of the `command` extractor: the cost of the JSONL pipe to a child process, with
//! the regex integration (`integrations/regex/extract.py`, needs `python3`) as the tool.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nerlab_command::{CommandConfig, CommandExtractor};
use nerlab_core::{validate_entities, BuildContext, Document, Extractor, Family, Label};

fn command(c: &mut Criterion) {
    let root = nerlab_benches::project_root();
    let config: CommandConfig =
        toml::from_str("command = [\"python3\", \"integrations/regex/extract.py\"]\noffsets = \"chars\"").expect("a valid config");
    let extractor = CommandExtractor::from_config(config, &BuildContext::new(root, "command")).expect("python3 and the regex tool start");
    let doc = Document::new("news", nerlab_benches::news_text());

    // Check the answer before timing it: valid spans, and an acronym found.
    let entities = extractor.extract(&doc).expect("extraction succeeds");
    validate_entities(&doc.text, &entities, Some(extractor.labels())).expect("valid entities");
    assert!(entities.iter().any(|e| e.label == Label::ORG && e.text == "NATO"));

    let mut group = c.benchmark_group("command");
    group.throughput(Throughput::Bytes(doc.text.len() as u64));
    group.bench_function("news", |b| b.iter(|| extractor.extract(std::hint::black_box(&doc)).expect("extraction succeeds")));
    group.finish();
}

criterion_group!(benches, command);
criterion_main!(benches);
