//! `nerlab-export-weights MODEL_DIR OUT.safetensors`: the model's variables as fp32
//! safetensors, the input of the ONNX export (`cargo xtask export-onnx`, which runs this).

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [model_dir, out] = args.as_slice() else {
        anyhow::bail!("usage: nerlab-export-weights MODEL_DIR OUT.safetensors");
    };
    let n = nerlab_transformer::onnx::dump_weights(model_dir, out)?;
    eprintln!("wrote {n} variables to {}", out.display());
    Ok(())
}
