//! One optimisation step: padded batch tensors, the masked cross-entropy, gradient clipping,
//! AdamW at the scheduled learning rate.

use tch::{nn, Reduction, Tensor};

use crate::examples::{Example, IGNORE};
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

/// One optimisation step on a batch; returns the loss before the step.
pub fn train_step(model: &NerModel, opt: &mut nn::Optimizer, examples: &[Example], batch: &[usize], pad: i64, lr: f64, clip: f64) -> f64 {
    let (ids, types, mask, labels) = batch_tensors(examples, batch, pad);
    let logits = model.logits(&ids, &types, &mask, true);
    let num_tags = logits.size().last().copied().unwrap_or(1);
    let loss = logits.view([-1, num_tags]).cross_entropy_loss::<Tensor>(&labels.view([-1]), None, Reduction::Mean, IGNORE, 0.0);
    opt.zero_grad();
    loss.backward();
    clip_grad_norm(&model.vs, clip);
    opt.set_lr(lr);
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
