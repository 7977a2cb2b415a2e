//! The serving forward pass (`fast::InferenceNet`) computes what rust-bert's network computes.

use std::path::Path;

use nerlab_transformer::fast::InferenceNet;
use nerlab_transformer::model::{read_config, NerModel};
use tch::{Device, Kind, Tensor};

/// Random ids and casing types, and a mask padding each row after a random length.
fn inputs(batch: i64, length: i64, vocab: i64, types: i64) -> (Tensor, Tensor, Tensor) {
    let ids = Tensor::randint(vocab, &[batch, length], (Kind::Int64, Device::Cpu));
    let kinds = Tensor::randint(types, &[batch, length], (Kind::Int64, Device::Cpu));
    let lengths = Tensor::randint_low(1, length + 1, &[batch, 1], (Kind::Int64, Device::Cpu));
    let mask = Tensor::arange(length, (Kind::Int64, Device::Cpu)).unsqueeze(0).lt_tensor(&lengths).to_kind(Kind::Int64);
    (ids, kinds, mask)
}

fn max_difference(model: &NerModel, batch: i64, length: i64) -> f64 {
    let net = InferenceNet::new(model).expect("every variable is there");
    let (ids, types, mask) = inputs(batch, length, model.config.vocab_size, model.config.type_vocab_size);
    tch::no_grad(|| {
        let reference = model.logits(&ids, &types, &mask, false);
        let fast = net.logits(&ids, &types, &mask);
        assert_eq!(reference.size(), fast.size());
        // Padded positions are never read; compare the real ones.
        let keep = mask.unsqueeze(-1).to_kind(Kind::Float);
        ((reference - fast) * keep).abs().max().double_value(&[])
    })
}

#[test]
fn the_shipped_model_gives_the_same_logits_both_ways() {
    tch::manual_seed(3);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/minilm-conll03");
    let (config, _) = read_config(&dir.join("config.json")).unwrap();
    let mut model = NerModel::new(config).unwrap();
    model.load(&dir.join("model.ot")).unwrap();
    for (batch, length) in [(1, 1), (3, 17), (8, 126)] {
        let d = max_difference(&model, batch, length);
        assert!(d < 1e-3, "batch {batch} length {length}: logits differ by {d}");
    }
}

#[test]
fn random_networks_give_the_same_logits_both_ways_for_every_activation() {
    use rust_bert::Activation;
    for activation in [
        Activation::gelu,
        Activation::gelu_new,
        Activation::relu,
        Activation::swish,
        Activation::mish,
        Activation::tanh,
        Activation::identity,
    ] {
        // Random weights of a larger scale than trained ones: a missed term would show.
        tch::manual_seed(5);
        let base = rust_bert::bert::BertConfig {
            hidden_size: 48,
            intermediate_size: 96,
            num_attention_heads: 4,
            num_hidden_layers: 3,
            max_position_embeddings: 64,
            vocab_size: 100,
            hidden_act: activation,
            ..Default::default()
        };
        let name = format!("{:?}", base.hidden_act);
        let model = NerModel::new(nerlab_transformer::model::ner_config(base, &nerlab_core::Label::CONLL)).unwrap();
        tch::no_grad(|| {
            for (_, t) in model.vs.variables() {
                let _ = t.shallow_clone().normal_(0.0, 0.5);
            }
        });
        let d = max_difference(&model, 4, 40);
        assert!(d < 1e-3, "{name}: logits differ by {d}");
    }
}
