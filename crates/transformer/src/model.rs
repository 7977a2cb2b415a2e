//! The network: rust-bert's `BertForTokenClassification` in a tch `VarStore`, its config and
//! label map, loading (fp16 or fp32 `.ot` files into fp32 variables), saving, and the
//! converter from the base encoder's safetensors.

use std::collections::HashMap;
use std::path::Path;

use nerlab_core::{Error, ErrorKind, Label, Result};
use rust_bert::bert::{BertConfig, BertForTokenClassification};
use tch::{nn, Device, Kind, Tensor};

use crate::casing::NUM_CASING_CLASSES;

/// The IOB2 label set of CoNLL-2003, in the order of the classifier's outputs.
pub const CONLL_TAGS: [&str; 9] = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"];

/// One output class of the classifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tag {
    /// Outside any entity.
    O,
    /// Begins an entity of the label.
    B(Label),
    /// Continues an entity of the label.
    I(Label),
}

impl Tag {
    /// Parses `O`, `B-X` or `I-X`.
    ///
    /// # Errors
    /// Any other shape.
    pub fn parse(s: &str) -> Result<Tag> {
        match s.split_once('-') {
            None if s == "O" => Ok(Tag::O),
            Some(("B", l)) => Ok(Tag::B(Label::new(l)?)),
            Some(("I", l)) => Ok(Tag::I(Label::new(l)?)),
            _ => Err(Error::format(format!("invalid IOB2 tag {s:?}"))),
        }
    }
}

/// The model's hyper-parameters and label map (`config.json`, rust-bert's `BertConfig`).
pub fn read_config(path: &Path) -> Result<(BertConfig, Vec<Tag>)> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::new(ErrorKind::Load, "model config not found").with_path(path)
        } else {
            Error::io(path, e)
        }
    })?;
    let config: BertConfig =
        serde_json::from_str(&text).map_err(|e| Error::format(format!("invalid model config: {e}")).with_path(path).with_line(e.line()))?;
    let tags = tags_of(&config).map_err(|e| e.with_path(path))?;
    Ok((config, tags))
}

/// The tags of `config.id2label`, by id (ids must be `0..n`).
pub fn tags_of(config: &BertConfig) -> Result<Vec<Tag>> {
    let id2label = config.id2label.as_ref().ok_or_else(|| Error::format("config has no id2label"))?;
    (0..id2label.len() as i64)
        .map(|i| {
            let name = id2label.get(&i).ok_or_else(|| Error::format(format!("id2label lacks id {i}")))?;
            Tag::parse(name)
        })
        .collect()
}

/// The IOB2 tags of `labels`, in the order of the classifier's outputs: `O`, then `B-X`,
/// `I-X` for each label in the order given (for the CoNLL labels, [`CONLL_TAGS`]).
pub fn iob2_tags(labels: &[Label]) -> Vec<String> {
    std::iter::once("O".to_string()).chain(labels.iter().flat_map(|l| [format!("B-{l}"), format!("I-{l}")])).collect()
}

/// A config for the IOB2 tags of `labels` ([`iob2_tags`]) on top of the encoder described by
/// `base` (a Hugging Face `config.json` of a BERT model), with one token type per casing
/// class. The label map goes into `id2label`/`label2id`, which the extractor reads back.
pub fn ner_config(mut base: BertConfig, labels: &[Label]) -> BertConfig {
    let tags = iob2_tags(labels);
    base.type_vocab_size = NUM_CASING_CLASSES;
    base.id2label = Some(tags.iter().enumerate().map(|(i, t)| (i as i64, t.clone())).collect());
    base.label2id = Some(tags.iter().enumerate().map(|(i, t)| (t.clone(), i as i64)).collect());
    base.output_attentions = Some(false);
    base.output_hidden_states = Some(false);
    base
}

/// The network and the variables it reads.
pub struct NerModel {
    /// The variables (fp32 on the CPU).
    pub vs: nn::VarStore,
    /// The network.
    pub net: BertForTokenClassification,
    /// Its configuration.
    pub config: BertConfig,
}

impl NerModel {
    /// A freshly initialised network for `config`.
    ///
    /// # Errors
    /// When the config has no label map.
    pub fn new(config: BertConfig) -> Result<NerModel> {
        let vs = nn::VarStore::new(Device::Cpu);
        let net =
            BertForTokenClassification::new(vs.root(), &config).map_err(|e| Error::config(format!("cannot build the network: {e}")))?;
        Ok(NerModel { vs, net, config })
    }

    /// Loads every variable from the `.ot` file at `path` (any float precision).
    ///
    /// # Errors
    /// [`ErrorKind::Load`] naming the file when it is missing, corrupt, or lacks a variable.
    pub fn load(&mut self, path: &Path) -> Result<()> {
        if !path.is_file() {
            return Err(Error::new(ErrorKind::Load, "model weights not found").with_path(path));
        }
        self.vs.load(path).map_err(|e| Error::new(ErrorKind::Load, format!("cannot load weights: {e}")).with_path(path))
    }

    /// Logits `[batch, length, tags]` for word-piece ids, casing types and attention mask, all
    /// `[batch, length]` int64. `train` turns dropout on.
    pub fn logits(&self, ids: &Tensor, types: &Tensor, mask: &Tensor, train: bool) -> Tensor {
        self.net.forward_t(Some(ids), Some(mask), Some(types), None, None, train).logits
    }

    /// Saves the variables to `path`, converted to `kind` (fp16 halves the file).
    ///
    /// # Errors
    /// I/O failures.
    pub fn save(&self, path: &Path, kind: Kind) -> Result<()> {
        let mut named: Vec<(String, Tensor)> = self.vs.variables().into_iter().map(|(name, t)| (name, t.detach().to_kind(kind))).collect();
        named.sort_by(|a, b| a.0.cmp(&b.0));
        Tensor::save_multi(&named, path).map_err(|e| Error::new(ErrorKind::Io, format!("cannot save weights: {e}")).with_path(path))
    }

    /// Initialises the encoder from a converted base checkpoint (see [`convert_safetensors`]):
    /// every `bert.*` variable must be there with its shape, except the token-type embedding,
    /// whose rows are all initialised from the base's row 0 (so that at the start the model
    /// is exactly the uncased base and learns what casing adds). The classifier keeps its
    /// random initialisation.
    ///
    /// # Errors
    /// A missing file, variable or shape mismatch, naming the file.
    pub fn init_from_base(&mut self, path: &Path) -> Result<()> {
        let load_err = |m: String| Error::new(ErrorKind::Load, m).with_path(path);
        if !path.is_file() {
            return Err(load_err("base weights not found (run `cargo xtask setup`)".into()));
        }
        let base: HashMap<String, Tensor> =
            Tensor::load_multi(path).map_err(|e| load_err(format!("cannot read: {e}")))?.into_iter().collect();
        tch::no_grad(|| -> Result<()> {
            for (name, mut var) in self.vs.variables() {
                if name.starts_with("classifier.") {
                    continue;
                }
                let src = base.get(&name).ok_or_else(|| load_err(format!("no variable {name}")))?;
                if name == "bert.embeddings.token_type_embeddings.weight" {
                    let row0 = src.get(0).unsqueeze(0).expand_as(&var);
                    var.copy_(&row0);
                } else if src.size() == var.size() {
                    var.copy_(src);
                } else {
                    return Err(load_err(format!("{name} has shape {:?}, expected {:?}", src.size(), var.size())));
                }
            }
            Ok(())
        })
    }
}

/// Converts a Hugging Face BERT encoder checkpoint (`model.safetensors`, names without the
/// `bert.` prefix, as in all-MiniLM-L6-v2) to a tch `.ot` file with rust-bert's
/// `BertForTokenClassification` names (`bert.embeddings.word_embeddings.weight`, ...).
/// Buffers that are not variables (`embeddings.position_ids`) are dropped; returns the
/// number of tensors written.
///
/// # Errors
/// Unreadable or malformed input, unsupported dtypes, write failures; all name the file.
pub fn convert_safetensors(input: &Path, output: &Path) -> Result<usize> {
    let bytes = std::fs::read(input).map_err(|e| Error::io(input, e))?;
    let st = safetensors::SafeTensors::deserialize(&bytes)
        .map_err(|e| Error::format(format!("not a safetensors file: {e:?}")).with_path(input))?;
    let mut named = Vec::new();
    for (name, view) in st.tensors() {
        if name.ends_with("position_ids") {
            continue;
        }
        let kind = match view.dtype() {
            safetensors::Dtype::F32 => Kind::Float,
            safetensors::Dtype::F16 => Kind::Half,
            safetensors::Dtype::BF16 => Kind::BFloat16,
            other => return Err(Error::format(format!("{name}: unsupported dtype {other:?}")).with_path(input)),
        };
        let shape: Vec<i64> = view.shape().iter().map(|&d| d as i64).collect();
        let tensor = Tensor::f_of_data_size(view.data(), &shape, kind)
            .map_err(|e| Error::format(format!("{name}: {e}")).with_path(input))?
            .to_kind(Kind::Float);
        let name = name.strip_prefix("bert.").unwrap_or(&name);
        named.push((format!("bert.{name}"), tensor));
    }
    named.sort_by(|a, b| a.0.cmp(&b.0));
    Tensor::save_multi(&named, output).map_err(|e| Error::new(ErrorKind::Io, format!("cannot write: {e}")).with_path(output))?;
    Ok(named.len())
}
