//! Training smoke test: a tiny randomly initialised network, a few steps on CoNLL sentences,
//! the loss must go down. (CI never trains the real model.)

use std::path::Path;

use nerlab_transformer::model::{ner_config, NerModel};
use nerlab_transformer::text::TextEncoder;
use nerlab_transformer::train::{batches, evaluate, make_example, read_conll, train_step};
use rust_bert::bert::BertConfig;
use tch::nn::OptimizerConfig;

#[test]
fn a_tiny_model_learns() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    tch::manual_seed(7);
    let encoder = TextEncoder::from_file(&root.join("models/minilm-conll03/tokenizer.json")).unwrap();
    let sentences = read_conll(&root.join("corpus/conll2003/train.txt")).unwrap();
    let sentences = &sentences[..48];
    let examples: Vec<_> = sentences.iter().map(|s| make_example(&encoder, &[s], true, 64).unwrap()).collect();
    let batches = batches(&examples, 4096, 16);
    assert!(batches.len() >= 3);

    let base = BertConfig {
        hidden_size: 32,
        intermediate_size: 64,
        num_attention_heads: 2,
        num_hidden_layers: 2,
        max_position_embeddings: 64,
        hidden_dropout_prob: 0.0,
        attention_probs_dropout_prob: 0.0,
        ..Default::default()
    };
    let model = NerModel::new(ner_config(base)).unwrap();
    let mut opt = tch::nn::AdamW::default().build(&model.vs, 1e-2).unwrap();
    let mut losses = Vec::new();
    for _ in 0..6 {
        let epoch: f64 = batches.iter().map(|b| train_step(&model, &mut opt, &examples, b, encoder.pad, 1e-2, 1.0)).sum();
        losses.push(epoch / batches.len() as f64);
    }
    assert!(losses.iter().all(|l| l.is_finite()), "{losses:?}");
    assert!(losses[5] < 0.6 * losses[0], "loss did not go down: {losses:?}");

    // The validation path runs end to end on the same pipeline.
    let scores = evaluate(&model, &encoder, sentences, true).unwrap();
    assert!(scores.micro.2 > 0, "gold entities are counted");
}
