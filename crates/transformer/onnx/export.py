"""Builds the ONNX graphs of the transformer NER model (fp32 and dynamically quantised int8).

Run by `cargo xtask export-onnx` in the virtualenv of `cargo xtask setup` (onnx, numpy,
onnxruntime), never by hand:

    export.py WEIGHTS.safetensors CONFIG.json OUT_DIR

WEIGHTS is the fp32 dump of the model's variables (`nerlab-export-weights`, rust-bert's names);
CONFIG is the model's `config.json`. The graph is the function `crates/transformer/src/fast.rs`
computes, operation for operation: embeddings (word + position + casing type) and layer norm,
then per layer one fused query/key/value product, scaled dot-product attention with padding at
-10000 before the softmax, output projection, residual and layer norm, GELU (erf) feed-forward,
residual and layer norm; then the classifier. Inputs `input_ids`, `token_type_ids`,
`attention_mask` (int64, [batch, length]); output `logits`, float32 [batch, length, tags] (the
softmax is the extractor's, the same for every backend).

The int8 graph is ONNX Runtime's `quantize_dynamic` of the fp32 one: weights of every MatMul
with a constant weight in signed int8, per output channel; activations quantised per call.
"""

import json
import math
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17  # LayerNormalization is in the default domain from 17 on.


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            sys.exit(f"{path}: {name} is {info['dtype']}, expected F32")
        start, end = info["data_offsets"]
        out[name] = np.frombuffer(data[start:end], dtype=np.float32).reshape(info["shape"])
    return out


class Graph:
    def __init__(self, weights):
        self.weights = weights
        self.nodes = []
        self.initializers = {}
        self.count = 0

    def const(self, name, array):
        if name not in self.initializers:
            self.initializers[name] = numpy_helper.from_array(np.asarray(array), name)
        return name

    def weight(self, name, transform=None):
        if name not in self.weights:
            sys.exit(f"the weights have no variable {name}")
        array = self.weights[name]
        return self.const(name, transform(array) if transform else array)

    def op(self, op_type, inputs, outputs=1, **attrs):
        self.count += 1
        names = [f"{op_type.lower()}_{self.count}_{i}" for i in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, names, name=f"{op_type}_{self.count}", **attrs))
        return names[0] if outputs == 1 else names

    def linear(self, x, prefix, weight=None, bias=None):
        """x @ W^T + b, with W stored transposed so the MatMul's weight is a constant [in, out]."""
        w = weight if weight is not None else self.weight(f"{prefix}.weight", lambda a: np.ascontiguousarray(a.T))
        b = bias if bias is not None else self.weight(f"{prefix}.bias")
        return self.op("Add", [self.op("MatMul", [x, w]), b])

    def layer_norm(self, x, prefix, eps):
        return self.op("LayerNormalization", [x, self.weight(f"{prefix}.weight"), self.weight(f"{prefix}.bias")], axis=-1, epsilon=eps)


def build(weights, config):
    hidden = config["hidden_size"]
    heads = config["num_attention_heads"]
    layers = config["num_hidden_layers"]
    head_size = hidden // heads
    tags = len(config["id2label"])
    if config.get("hidden_act", "gelu") != "gelu":
        sys.exit(f"only hidden_act = gelu is exported, the config says {config['hidden_act']}")
    eps = 1e-12  # rust-bert's BERT layer norms use 1e-12 whatever the config says
    g = Graph(weights)
    i64 = lambda *v: np.array(v, dtype=np.int64)  # noqa: E731

    # Embeddings: word + position (the first `length` rows) + casing token type.
    length = g.op("Gather", [g.op("Shape", ["input_ids"]), g.const("one_i64", i64(1))], axis=0)  # [length], 1-D
    positions = g.op("Slice", [g.weight("bert.embeddings.position_embeddings.weight"), g.const("zero_start", i64(0)), length, g.const("zero_axis", i64(0))])
    words = g.op("Gather", [g.weight("bert.embeddings.word_embeddings.weight"), "input_ids"], axis=0)
    types = g.op("Gather", [g.weight("bert.embeddings.token_type_embeddings.weight"), "token_type_ids"], axis=0)
    x = g.op("Add", [g.op("Add", [words, positions]), types])
    x = g.layer_norm(x, "bert.embeddings.LayerNorm", eps)

    # Padding: (1 - mask) * -10000, [batch, 1, 1, length], as rust-bert.
    mask = g.op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    mask = g.op("Mul", [g.op("Sub", [g.const("one_f32", np.array(1.0, np.float32)), mask]), g.const("pad_f32", np.array(-10000.0, np.float32))])
    mask = g.op("Unsqueeze", [mask, g.const("axes_1_2", i64(1, 2))])

    qkv_shape = g.const("qkv_shape", i64(0, 0, 3, heads, head_size))
    context_shape = g.const("context_shape", i64(0, 0, hidden))
    scale = g.const("scale", np.array(math.sqrt(head_size), np.float32))
    sqrt2 = g.const("sqrt2", np.array(math.sqrt(2.0), np.float32))
    half = g.const("half", np.array(0.5, np.float32))
    one = g.const("one_f32", np.array(1.0, np.float32))
    for i in range(layers):
        p = f"bert.encoder.layer.{i}"
        parts = [f"{p}.attention.self.{n}" for n in ("query", "key", "value")]
        qkv_w = g.const(f"{p}.attention.self.qkv.weight", np.ascontiguousarray(np.concatenate([weights[f"{n}.weight"] for n in parts], 0).T))
        qkv_b = g.const(f"{p}.attention.self.qkv.bias", np.concatenate([weights[f"{n}.bias"] for n in parts], 0))
        qkv = g.op("Reshape", [g.linear(x, None, qkv_w, qkv_b), qkv_shape])
        qkv = g.op("Transpose", [qkv], perm=[2, 0, 3, 1, 4])  # [3, batch, heads, length, head]
        q, k, v = g.op("Split", [qkv], outputs=3, axis=0)
        squeeze = lambda t: g.op("Squeeze", [t, g.const("zero_axis", i64(0))])  # noqa: E731
        q, k, v = squeeze(q), squeeze(k), squeeze(v)
        scores = g.op("MatMul", [g.op("Div", [q, scale]), g.op("Transpose", [k], perm=[0, 1, 3, 2])])
        attention = g.op("Softmax", [g.op("Add", [scores, mask])], axis=-1)
        context = g.op("Transpose", [g.op("MatMul", [attention, v])], perm=[0, 2, 1, 3])
        context = g.op("Reshape", [context, context_shape])
        attended = g.layer_norm(g.op("Add", [g.linear(context, f"{p}.attention.output.dense"), x]), f"{p}.attention.output.LayerNorm", eps)
        inner = g.linear(attended, f"{p}.intermediate.dense")
        inner = g.op("Mul", [g.op("Mul", [inner, half]), g.op("Add", [g.op("Erf", [g.op("Div", [inner, sqrt2])]), one])])
        x = g.layer_norm(g.op("Add", [g.linear(inner, f"{p}.output.dense"), attended]), f"{p}.output.LayerNorm", eps)
    logits = g.linear(x, "classifier")
    g.nodes.append(helper.make_node("Identity", [logits], ["logits"], name="logits"))

    dims = ["batch", "length"]
    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, dims) for n in ("input_ids", "token_type_ids", "attention_mask")]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, dims + [tags])]
    graph = helper.make_graph(g.nodes, "nerlab-token-classifier", inputs, outputs, list(g.initializers.values()))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="nerlab export-onnx")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def smoke_test(path, vocab, types, tags):
    """Loads the graph in ONNX Runtime and runs a padded batch: a broken export fails here."""
    import onnxruntime as ort

    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    ids = rng.integers(0, vocab, size=(2, 7), dtype=np.int64)
    mask = np.ones((2, 7), dtype=np.int64)
    mask[1, 4:] = 0
    (logits,) = session.run(None, {"input_ids": ids, "token_type_ids": rng.integers(0, types, size=(2, 7), dtype=np.int64), "attention_mask": mask})
    if logits.shape != (2, 7, tags) or not np.isfinite(logits).all():
        sys.exit(f"{path}: the exported graph computes logits of shape {logits.shape} or non-finite ones")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    weights_path, config_path, out = sys.argv[1:]
    with open(config_path) as f:
        config = json.load(f)
    model = build(read_safetensors(weights_path), config)
    os.makedirs(out, exist_ok=True)
    fp32 = os.path.join(out, "model-fp32.onnx")
    int8 = os.path.join(out, "model-int8.onnx")
    onnx.save(model, fp32)
    smoke_test(fp32, config["vocab_size"], config["type_vocab_size"], len(config["id2label"]))

    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Signed int8 weights per output channel (per-tensor ran ~10% faster on random weights but
    # is coarser; accuracy comes first); activations uint8, quantised per call. reduce_range
    # (7-bit weights) is off: it exists because u8s8 products can saturate on CPUs without
    # VNNI (AVX2's vpmaddubsw); with VNNI they do not. Without VNNI int8 still runs, slower
    # and possibly a little less accurate (not measured: this host has VNNI).
    quantize_dynamic(fp32, int8, weight_type=QuantType.QInt8, per_channel=True, reduce_range=False, op_types_to_quantize=["MatMul"], extra_options={"MatMulConstBOnly": True})
    smoke_test(int8, config["vocab_size"], config["type_vocab_size"], len(config["id2label"]))
    print(f"wrote {fp32} ({os.path.getsize(fp32) >> 20} MiB) and {int8} ({os.path.getsize(int8) >> 20} MiB)")


if __name__ == "__main__":
    main()
