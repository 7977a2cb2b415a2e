//! The ONNX Runtime backends (`onnx-fp32`, `onnx-int8`): the exported graph run by
//! `libonnxruntime.so`, loaded at run time (the `ort` crate's `load-dynamic`), never linked,
//! so builds and the libtorch backend need no ONNX Runtime at all.
//!
//! The library comes from the PyPI wheel `onnxruntime` that `cargo xtask setup` installs
//! under `target/onnx/` (a link `target/onnx/libonnxruntime.so`), and the graphs from `cargo
//! xtask export-onnx` (`target/onnx/<model>/model-{fp32,int8}.onnx`). Before `ort` touches
//! the library (it panics on a bad one) [`check_runtime`] opens it and reads its version, so
//! a missing, foreign or too old library is an error that says what to install.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use nerlab_core::{Error, ErrorKind, Result};
use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;
use ort::value::Tensor;

use crate::backend::{Backend, BackendKind, Batch};

/// The ONNX Runtime minor version (`1.x`) the `ort` crate is built for; a library at least this
/// recent is accepted. `xtask/src/onnx.rs` installs this version's wheel.
pub const ORT_MINOR_VERSION: u32 = ort::MINOR_VERSION;

/// What to run to get the runtime and the graphs.
const SETUP_HINT: &str = "run `cargo xtask setup` (installs the PyPI wheel onnxruntime into target/onnx/ and exports the model)";

/// The library this process loaded (ONNX Runtime is loaded once per process).
static LOADED: OnceLock<(PathBuf, String)> = OnceLock::new();

/// The file name of an exported graph of `kind` in the export directory.
pub fn graph_file(kind: BackendKind) -> &'static str {
    match kind {
        BackendKind::OnnxInt8 => "model-int8.onnx",
        _ => "model-fp32.onnx",
    }
}

/// Opens the ONNX Runtime library at `path` and returns its version (`1.22.1`), or an error
/// naming the file and what to install: missing, not loadable, not ONNX Runtime, or older
/// than [`ORT_MINOR_VERSION`].
pub fn check_runtime(path: &Path) -> Result<String> {
    let load = |m: String| Error::new(ErrorKind::Load, m).with_path(path);
    if !path.exists() {
        return Err(load(format!("ONNX Runtime library not found (the onnx-fp32 and onnx-int8 backends need it): {SETUP_HINT}")));
    }
    // SAFETY: loading runs the library's initialisers; this is the library the user named for
    // exactly this purpose, and `ort` loads the same file right after.
    let library =
        unsafe { libloading::Library::new(path) }.map_err(|e| load(format!("cannot load the ONNX Runtime library ({e}): {SETUP_HINT}")))?;
    // SAFETY: `OrtGetApiBase` is ONNX Runtime's C entry point with this signature; the struct
    // it returns and the version string live as long as the library, which we hold.
    let version = unsafe {
        let get: libloading::Symbol<unsafe extern "C" fn() -> *const ort::sys::OrtApiBase> =
            library.get(b"OrtGetApiBase\0").map_err(|_| load(format!("not an ONNX Runtime library (no OrtGetApiBase): {SETUP_HINT}")))?;
        let base = get();
        if base.is_null() {
            return Err(load(format!("OrtGetApiBase returned nothing: {SETUP_HINT}")));
        }
        std::ffi::CStr::from_ptr(((*base).GetVersionString)()).to_string_lossy().into_owned()
    };
    let minor = version.split('.').nth(1).and_then(|m| m.parse::<u32>().ok());
    if !version.starts_with("1.") || !matches!(minor, Some(m) if m >= ORT_MINOR_VERSION) {
        return Err(load(format!("ONNX Runtime {version} is too old: this build needs 1.{ORT_MINOR_VERSION} or later; {SETUP_HINT}")));
    }
    // Keep it loaded: `ort` opens the same file and unloading in between gains nothing.
    std::mem::forget(library);
    Ok(version)
}

/// Loads ONNX Runtime from `path` into the process, once. A second call with another path
/// is an error (one process, one runtime).
fn init_runtime(path: &Path) -> Result<&'static str> {
    if !path.exists() {
        // Says what to install, whether or not another runtime is loaded.
        check_runtime(path)?;
    }
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if let Some((loaded, version)) = LOADED.get() {
        if *loaded != path {
            return Err(Error::config(format!(
                "ONNX Runtime is already loaded from {} in this process; cannot load {} too",
                loaded.display(),
                path.display()
            )));
        }
        return Ok(version);
    }
    let version = check_runtime(&path)?;
    // `ort` panics where it cannot load what `check_runtime` accepted; keep that an error.
    let committed = std::panic::catch_unwind(|| ort::init_from(path.to_string_lossy()).with_name("nerlab").commit());
    match committed {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(Error::new(ErrorKind::Load, format!("cannot start ONNX Runtime: {e}")).with_path(&path)),
        Err(_) => return Err(Error::new(ErrorKind::Load, format!("ONNX Runtime failed to start: {SETUP_HINT}")).with_path(&path)),
    }
    let (_, version) = LOADED.get_or_init(|| (path, version));
    Ok(version)
}

/// The int8 matrix-product kernels ONNX Runtime's MLAS can pick on this CPU (it chooses by
/// CPUID at run time and does not report its choice): AMX, AVX-512 VNNI, AVX-VNNI, else
/// AVX2/AVX-512 without VNNI (slower, same results).
pub fn int8_kernels() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512vnni") {
            return "AVX-512 VNNI";
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            return "AVX2 (no VNNI)";
        }
        "SSE (no AVX2)"
    }
    #[cfg(not(target_arch = "x86_64"))]
    "portable"
}

/// A window's row in its batch and its logits.
type WindowLogits = (usize, Vec<f32>);

/// int8 sessions at most, whatever the thread count: each holds its own copy of the graph's
/// weights (~60 MB; sharing ONNX Runtime's prepacked weights between them measured 23 MiB
/// more at peak and three times the load time, so they do not).
const MAX_INT8_SESSIONS: usize = 4;

/// An exported graph in ONNX Runtime sessions.
///
/// int8 runs windows one at a time (see [`OnnxNet::logits`]), each too small to split among
/// threads: on 2 cores one session ran CoNLL sentences at ~6,900 tokens/s with one intra-op
/// thread and ~7,600 with two. So int8 gets one single-threaded session per thread (up to
/// [`MAX_INT8_SESSIONS`]; beyond, each session gets `threads / 4` intra-op threads) and runs
/// a batch's windows side by side; fp32 runs whole batches on one session with every
/// thread.
pub struct OnnxNet {
    // `Session::run` takes `&mut`: one lock per session. Calls into the net are serialised by
    // the extractor, so a session is only ever used by one of the threads of one call.
    sessions: Vec<Mutex<Session>>,
    kind: BackendKind,
    version: &'static str,
    threads: usize,
    num_tags: usize,
}

impl OnnxNet {
    /// Loads the runtime at `runtime` and the graph at `graph` to run on `threads` threads
    /// in all, and checks it on a tiny batch (that it outputs `num_tags` logits per piece).
    ///
    /// # Errors
    /// A missing or unusable runtime or graph, naming the file and the command that makes it.
    pub fn load(runtime: &Path, graph: &Path, kind: BackendKind, threads: usize, num_tags: usize) -> Result<OnnxNet> {
        let version = init_runtime(runtime)?;
        if !graph.is_file() {
            return Err(Error::new(
                ErrorKind::Load,
                format!("exported {} graph not found: run `cargo xtask export-onnx` (or `cargo xtask setup`)", kind.name()),
            )
            .with_path(graph));
        }
        let err = |e: ort::Error| Error::new(ErrorKind::Load, format!("ONNX Runtime: {e}")).with_path(graph);
        let threads = threads.max(1);
        let (count, intra) = if kind == BackendKind::OnnxInt8 {
            let count = threads.min(MAX_INT8_SESSIONS);
            // Rounded down: never more threads in all than asked for.
            (count, (threads / count).max(1))
        } else {
            (1, threads)
        };
        let load = || {
            Session::builder()
                .and_then(|b| b.with_optimization_level(GraphOptimizationLevel::Level3))
                .and_then(|b| b.with_intra_threads(intra))
                // One graph, one run per session at a time: no inter-op pool.
                .and_then(|b| b.with_inter_threads(1))
                // Idle workers sleep instead of spinning: on a shared or busy host spinning
                // threads fight the one doing the work (int8, 2 cores under load: 2,720
                // pieces/s without spinning, 1,380 with).
                .and_then(|b| b.with_intra_op_spinning(false))
                .and_then(|b| b.with_device_allocator_for_initializers())
                .and_then(|b| b.commit_from_file(graph))
                .map(Mutex::new)
                .map_err(err)
        };
        let sessions = (0..count).map(|_| load()).collect::<Result<Vec<_>>>()?;
        let net = OnnxNet { sessions, kind, version, threads: intra, num_tags };
        let probe = net.logits(&Batch { ids: &[0, 0], types: &[0, 0], mask: &[1, 1], rows: 1, len: 2 }).map_err(|e| e.with_path(graph))?;
        if probe.len() != 2 * num_tags {
            return Err(Error::new(
                ErrorKind::Load,
                format!(
                    "the graph outputs {} logits per piece, the model's config has {num_tags} tags: re-run `cargo xtask export-onnx`",
                    probe.len() / 2
                ),
            )
            .with_path(graph));
        }
        Ok(net)
    }
}

impl OnnxNet {
    /// One run of `session` over `batch` as given.
    fn run(&self, session: &Mutex<Session>, batch: &Batch<'_>) -> Result<Vec<f32>> {
        let shape = [batch.rows, batch.len];
        let tensor = |data: &[i64]| Tensor::from_array((shape, data.to_vec()));
        let err = |e: ort::Error| Error::extraction(format!("ONNX Runtime: {e}"));
        let inputs = ort::inputs![
            "input_ids" => tensor(batch.ids).map_err(err)?,
            "token_type_ids" => tensor(batch.types).map_err(err)?,
            "attention_mask" => tensor(batch.mask).map_err(err)?,
        ];
        let mut session = session.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let outputs = session.run(inputs).map_err(err)?;
        let (_, logits) = outputs["logits"].try_extract_tensor::<f32>().map_err(err)?;
        if logits.len() != batch.rows * batch.len * self.num_tags {
            return Err(Error::extraction(format!(
                "ONNX Runtime returned {} logits for a {}x{} batch",
                logits.len(),
                batch.rows,
                batch.len
            )));
        }
        Ok(logits.to_vec())
    }
}

impl Backend for OnnxNet {
    fn num_tags(&self) -> usize {
        self.num_tags
    }

    /// fp32 runs the padded batch as it is. int8 runs each window alone, without its padding:
    /// dynamic quantisation scales activations by the range of the whole input tensor, so in
    /// a batch a window's result would depend on the other windows and on padding, and a
    /// document would get different entities alone and in a batch.
    ///
    /// The windows are independent, so they run side by side, one per session.
    fn logits(&self, batch: &Batch<'_>) -> Result<Vec<f32>> {
        if self.kind != BackendKind::OnnxInt8 || batch.rows <= 1 && batch.mask.iter().all(|&m| m == 1) {
            return self.run(&self.sessions[0], batch);
        }
        // Windows are `[CLS] pieces [SEP]` then padding: the real positions come first.
        let real = |r: usize| batch.mask[r * batch.len..(r + 1) * batch.len].iter().take_while(|&&m| m == 1).count().max(1);
        let next = AtomicUsize::new(0);
        // A worker takes the next window until none is left: its rows and their logits.
        let work = |session: &Mutex<Session>| -> Result<Vec<WindowLogits>> {
            let mut done = Vec::new();
            loop {
                let r = next.fetch_add(1, Ordering::Relaxed);
                if r >= batch.rows {
                    return Ok(done);
                }
                let (start, real) = (r * batch.len, real(r));
                let window = Batch {
                    ids: &batch.ids[start..start + real],
                    types: &batch.types[start..start + real],
                    mask: &batch.mask[start..start + real],
                    rows: 1,
                    len: real,
                };
                match self.run(session, &window) {
                    Ok(logits) => done.push((r, logits)),
                    Err(e) => {
                        // The batch has failed: the other workers stop at their next window.
                        next.store(batch.rows, Ordering::Relaxed);
                        return Err(e);
                    }
                }
            }
        };
        let workers = self.sessions.len().min(batch.rows);
        let results: Vec<Result<Vec<WindowLogits>>> = std::thread::scope(|scope| {
            let others: Vec<_> = self.sessions[1..workers].iter().map(|session| scope.spawn(|| work(session))).collect();
            let mine = work(&self.sessions[0]);
            let others = others.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(Error::extraction("an ONNX Runtime run panicked"))));
            std::iter::once(mine).chain(others).collect()
        });
        let mut out = vec![0f32; batch.rows * batch.len * self.num_tags];
        for (r, logits) in results.into_iter().collect::<Result<Vec<_>>>()?.into_iter().flatten() {
            let start = r * batch.len * self.num_tags;
            out[start..start + logits.len()].copy_from_slice(&logits);
        }
        Ok(out)
    }

    fn describe(&self) -> String {
        let kernels = if self.kind == BackendKind::OnnxInt8 { format!(", int8 kernels: {}", int8_kernels()) } else { String::new() };
        let sessions = match self.sessions.len() {
            1 => String::new(),
            n => format!("{n} sessions side by side, each with "),
        };
        let threads = match self.threads {
            1 => "1 intra-op thread".to_string(),
            n => format!("{n} intra-op threads"),
        };
        format!("{} on ONNX Runtime {} (CPU, {sessions}{threads}{kernels})", self.kind.name(), self.version)
    }
}

/// Writes every variable of the model in `model_dir` (`config.json`, `model.ot`) to `out` as
/// fp32 safetensors under rust-bert's names, for the export script; returns how many.
///
/// # Errors
/// Missing or corrupt model files, write failures, naming the file.
pub fn dump_weights(model_dir: &Path, out: &Path) -> Result<usize> {
    let (config, _) = crate::model::read_config(&model_dir.join("config.json"))?;
    let mut model = crate::model::NerModel::new(config).map_err(|e| e.with_path(model_dir.join("config.json")))?;
    model.load(&model_dir.join("model.ot"))?;
    let mut named: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    for (name, tensor) in model.vs.variables() {
        let tensor = tensor.detach().to_kind(tch::Kind::Float).contiguous();
        let shape: Vec<usize> = tensor.size().iter().map(|&d| d as usize).collect();
        let numel = tensor.numel();
        let mut values = vec![0f32; numel];
        tensor.f_copy_data(&mut values, numel).map_err(|e| Error::new(ErrorKind::Load, format!("{name}: {e}")))?;
        named.push((name, shape, values.iter().flat_map(|v| v.to_le_bytes()).collect()));
    }
    named.sort_by(|a, b| a.0.cmp(&b.0));
    let views = named
        .iter()
        .map(|(name, shape, bytes)| {
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), bytes)
                .map(|view| (name.as_str(), view))
                .map_err(|e| Error::format(format!("{name}: {e:?}")))
        })
        .collect::<Result<Vec<_>>>()?;
    safetensors::serialize_to_file(views, &None, out)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot write: {e:?}")).with_path(out))?;
    Ok(named.len())
}
