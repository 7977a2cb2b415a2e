//! One optimisation step: padded batch tensors, the masked cross-entropy, gradient clipping,
//! AdamW at the scheduled learning rate.

use tch::{nn, Reduction, Tensor};

use crate::examples::{Example, IGNORE};
use crate::run::TrainOptions;
use nerlab_transformer::model::NerModel;

/// Padded `[b, len]` tensors (ids, types, mask, labels) of a batch.
fn batch_tensors(examples: &[Example], batch: &[usize], pad: i64) -> (Tensor, Tensor, Tensor, Tensor) {
    let len = batch.iter().map(|&i| examples[i].ids.len()).max().unwrap_or(0);
    let b = batch.len();
    let (mut ids, mut types, mut mask, mut labels) = (vec![pad; b * len], vec![0i64; b * len], vec![0i64; b * len], vec![IGNORE; b * len]);
    for (r, &i) in batch.iter().enumerate() {
        let ex = &examples[i];
        let row = r * len;
        ids[row..row + ex.ids.len()].copy_from_slice(&ex.ids);
        types[row..row + ex.ids.len()].copy_from_slice(&ex.types);
        mask[row..row + ex.ids.len()].iter_mut().for_each(|m| *m = 1);
        labels[row..row + ex.ids.len()].copy_from_slice(&ex.labels);
    }
    let shape = [b as i64, len as i64];
    let t = |v: &[i64]| Tensor::of_slice(v).view(shape);
    (t(&ids), t(&types), t(&mask), t(&labels))
}

/// Scales gradients so that their global L2 norm is at most `max`. (tch's own version fails
/// on variables without a gradient, such as the pooler this task never uses.)
fn clip_grad_norm(vs: &nn::VarStore, max: f64) {
    tch::no_grad(|| {
        let grads: Vec<Tensor> = vs.trainable_variables().iter().map(|v| v.grad()).filter(|g| g.defined()).collect();
        let norms: Vec<Tensor> = grads.iter().map(|g| g.norm()).collect();
        if norms.is_empty() {
            return;
        }
        let total = f64::from(Tensor::stack(&norms, 0).norm());
        if total > max {
            for mut g in grads {
                let _ = g.g_mul_scalar_(max / (total + 1e-6));
            }
        }
    });
}

/// The loss of a batch in training mode, as its two parts: the cross-entropy over labelled
/// word-pieces (label smoothing from `opts`) and, with R-Drop (`opts.rdrop` > 0), the mean
/// symmetric KL divergence between two passes of the batch under different dropout masks
/// (0 without R-Drop). The loss to minimise is `cross_entropy + opts.rdrop * divergence`.
pub fn batch_loss(model: &NerModel, examples: &[Example], batch: &[usize], pad: i64, opts: &TrainOptions) -> (Tensor, Tensor) {
    let (mut ids, mut types, mut mask, mut labels) = batch_tensors(examples, batch, pad);
    if opts.rdrop > 0.0 {
        // Both passes in one forward: the batch twice, each copy its own dropout draws.
        let twice = |t: &Tensor| Tensor::cat(&[t, t], 0);
        (ids, types, mask, labels) = (twice(&ids), twice(&types), twice(&mask), twice(&labels));
    }
    let logits = model.logits(&ids, &types, &mask, true);
    let num_tags = logits.size().last().copied().unwrap_or(1);
    let cross_entropy =
        logits.view([-1, num_tags]).cross_entropy_loss::<Tensor>(&labels.view([-1]), None, Reduction::Mean, IGNORE, opts.label_smoothing);
    if opts.rdrop <= 0.0 {
        return (cross_entropy, Tensor::from(0f32));
    }
    let halves = logits.chunk(2, 0);
    let (log_p, log_q) = (halves[0].log_softmax(-1, tch::Kind::Float), halves[1].log_softmax(-1, tch::Kind::Float));
    let per_piece = ((log_p.exp() - log_q.exp()) * (&log_p - &log_q)).sum_dim_intlist(Some([-1i64].as_slice()), false, tch::Kind::Float);
    // Only the word-pieces the loss is on: the first piece of each word of the centre text.
    let labelled = labels.chunk(2, 0)[0].ne(IGNORE).to_kind(tch::Kind::Float);
    let divergence = (per_piece * &labelled).sum(tch::Kind::Float) / labelled.sum(tch::Kind::Float).clamp_min(1.0) / 2.0;
    (cross_entropy, divergence)
}

/// One optimisation step on a batch, each optimizer parameter group at its learning rate in
/// `lrs` (one group unless layer-wise decay, [`layer_groups`]; clipping, label smoothing and
/// R-Drop from `opts`); returns the loss before the step.
pub fn train_step(
    model: &NerModel,
    opt: &mut nn::Optimizer,
    examples: &[Example],
    batch: &[usize],
    pad: i64,
    lrs: &[f64],
    opts: &TrainOptions,
) -> f64 {
    let (cross_entropy, divergence) = batch_loss(model, examples, batch, pad, opts);
    let loss = if opts.rdrop > 0.0 { cross_entropy + divergence * opts.rdrop } else { cross_entropy };
    opt.zero_grad();
    loss.backward();
    clip_grad_norm(&model.vs, opts.clip);
    match lrs {
        [lr] => opt.set_lr(*lr),
        lrs => lrs.iter().enumerate().for_each(|(group, lr)| opt.set_lr_group(group, *lr)),
    }
    opt.step();
    f64::from(&loss)
}

/// The learning rate at `step` of `total`: linear warm-up over `warmup` steps to `peak`, then
/// linear decay to 0.
pub fn linear_schedule(step: usize, total: usize, warmup: usize, peak: f64) -> f64 {
    if step < warmup {
        peak * (step + 1) as f64 / warmup as f64
    } else {
        peak * (total.saturating_sub(step)) as f64 / (total - warmup).max(1) as f64
    }
}

/// Layer-wise learning-rate decay: puts every trainable variable of `model` in the optimizer
/// parameter group of its depth (0: the embeddings, 1 to L: encoder layer 0 to L-1, L + 1: the
/// classifier and anything else) and returns each group's share of the scheduled learning
/// rate, `decay^(L + 1 - group)`, so the classifier learns at the full rate and each layer
/// below at `decay` times the one above. Must run before the optimizer is built (it reads the
/// groups then). With `decay` 1 nothing is regrouped: one group at the full rate, exactly
/// the optimisation of a run without the option.
pub fn layer_groups(model: &NerModel, decay: f64) -> Vec<f64> {
    if decay == 1.0 {
        return vec![1.0];
    }
    let layers = usize::try_from(model.config.num_hidden_layers).unwrap_or(0);
    let top = layers + 1;
    let depth = |name: &str| -> usize {
        if name.starts_with("bert.embeddings.") {
            0
        } else if let Some(rest) = name.strip_prefix("bert.encoder.layer.") {
            rest.split('.').next().and_then(|i| i.parse::<usize>().ok()).map_or(top, |i| (i + 1).min(top))
        } else {
            top
        }
    };
    let mut variables = model.vs.variables_.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let groups: std::collections::HashMap<usize, usize> =
        variables.named_variables.iter().map(|(name, tensor)| (tensor.data_ptr() as usize, depth(name))).collect();
    for var in &mut variables.trainable_variables {
        var.group = groups.get(&(var.tensor.data_ptr() as usize)).copied().unwrap_or(top);
    }
    (0..=top).map(|group| decay.powi((top - group) as i32)).collect()
}
