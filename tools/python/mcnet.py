# PyTorch side of the model format (docs/model-format.md): builds a torch module from a
# layer list, writes and reads model.json + weights.bin, and exports ONNX. Imported by the
# fixture generator and by training scripts.
"""Build, save and load "cnn-microscope/1" models with PyTorch.

Layer specs passed to :func:`build` are the entries of model.json's ``"layers"`` list
(``name``, ``op``, ``inputs``, ``attrs``) without ``"params"``, plus a few build-only
attributes that the file format carries in the tensor shapes instead:

* ``conv2d``: ``attrs.outChannels`` (required), ``attrs.bias`` (default ``True``);
* ``linear``: ``attrs.outFeatures`` (required), ``attrs.bias`` (default ``True``).

(A spec may instead carry model.json's ``"params"`` mapping; then bias presence is read from
it.) Input channels / features are inferred from the graph. :func:`save_model` drops the
build-only attributes and writes every format attribute with its default filled in.

Module and tensor names
-----------------------
Parameters live in ``net.mods``, an ``nn.ModuleDict`` keyed by ``module_key(layer_name)``,
which is the layer name with every ``'.'`` replaced by ``'_'`` (ModuleDict keys may not
contain dots). A layer name whose key collides with another layer's key or with an attribute
of ``nn.ModuleDict`` (``keys``, ``items``, ``training``, ...) is rejected. The modules are the
stock ``nn.Conv2d``, ``nn.Linear`` and ``nn.BatchNorm2d`` (default init), so
``net.mods.state_dict()`` has keys ``"<key>.weight"``, ``"<key>.bias"``,
``"<key>.running_mean"``, ``"<key>.running_var"`` (BatchNorm's ``num_batches_tracked`` is
removed). ``net.state_dict()`` has the same keys prefixed by ``"mods."``.

In model.json a tensor is named ``"<layer name>.<format param>"``: ``conv1.weight``,
``conv1.bias``, ``bn1.weight``, ``bn1.bias``, ``bn1.runningMean``, ``bn1.runningVar``.
:meth:`McNet.tensors` lists (tensor name, torch tensor) pairs in file order.
"""

import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

FORMAT = "cnn-microscope/1"

OPS = (
    "conv2d", "linear", "relu", "maxpool", "avgpool", "adaptiveavgpool", "lrn",
    "batchnorm", "flatten", "concat", "add", "dropout", "softmax",
)

# Format param name -> torch attribute name, in file order.
PARAMS = {
    "conv2d": (("weight", "weight"), ("bias", "bias")),
    "linear": (("weight", "weight"), ("bias", "bias")),
    "batchnorm": (("weight", "weight"), ("bias", "bias"),
                  ("runningMean", "running_mean"), ("runningVar", "running_var")),
}

# Attributes that exist only for build() (the file carries them in tensor shapes).
BUILD_ONLY = {"conv2d": ("outChannels", "bias"), "linear": ("outFeatures", "bias")}

_RESERVED = set(dir(nn.ModuleDict()))


def module_key(name):
    """ModuleDict key of a layer: the name with '.' replaced by '_'."""
    return name.replace(".", "_")


def _pair(v, what):
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return [int(v), int(v)]
    if isinstance(v, (list, tuple)) and len(v) == 2 and all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in v):
        return [int(v[0]), int(v[1])]
    raise ValueError(f"{what}: expected an int or a pair of ints, got {v!r}")


def _norm_attrs(layer):
    """Attributes of a layer spec with defaults filled in (build-only keys included)."""
    op, name = layer["op"], layer["name"]
    a = dict(layer.get("attrs") or {})
    where = f"layer {name!r} ({op})"

    def need(key):
        if key not in a:
            raise ValueError(f"{where}: missing attribute {key!r}")
        return a[key]

    out = {}
    if op == "conv2d":
        out["kernel"] = _pair(need("kernel"), f"{where}.kernel")
        out["stride"] = _pair(a.get("stride", 1), f"{where}.stride")
        out["padding"] = _pair(a.get("padding", 0), f"{where}.padding")
        out["dilation"] = _pair(a.get("dilation", 1), f"{where}.dilation")
        out["groups"] = int(a.get("groups", 1))
        out["outChannels"] = int(need("outChannels"))
        out["bias"] = bool(a.get("bias", _bias_from_params(layer)))
    elif op == "linear":
        out["outFeatures"] = int(need("outFeatures"))
        out["bias"] = bool(a.get("bias", _bias_from_params(layer)))
    elif op in ("maxpool", "avgpool"):
        out["kernel"] = _pair(need("kernel"), f"{where}.kernel")
        out["stride"] = _pair(a.get("stride", out["kernel"]), f"{where}.stride")
        out["padding"] = _pair(a.get("padding", 0), f"{where}.padding")
        out["ceilMode"] = bool(a.get("ceilMode", False))
        if op == "avgpool":
            out["countIncludePad"] = bool(a.get("countIncludePad", True))
    elif op == "adaptiveavgpool":
        out["output"] = _pair(need("output"), f"{where}.output")
    elif op == "lrn":
        out["size"] = int(need("size"))
        out["alpha"] = float(a.get("alpha", 1e-4))
        out["beta"] = float(a.get("beta", 0.75))
        out["k"] = float(a.get("k", 1.0))
    elif op == "batchnorm":
        out["eps"] = float(a.get("eps", 1e-5))
    elif op == "dropout":
        out["p"] = float(a.get("p", 0.5))
    elif op not in OPS:
        raise ValueError(f"{where}: unknown op")
    unknown = set(a) - set(out)
    if unknown:
        raise ValueError(f"{where}: unknown attributes {sorted(unknown)}")
    return out


def _bias_from_params(layer):
    p = layer.get("params")
    return True if p is None else ("bias" in p)


def _topo_order(layers, input_name):
    """Stable topological order; rejects duplicates, dangling inputs and cycles."""
    by_name = {}
    for l in layers:
        if l["name"] in by_name or l["name"] == input_name:
            raise ValueError(f"duplicate layer name {l['name']!r}")
        by_name[l["name"]] = l
    for l in layers:
        if not l.get("inputs"):
            raise ValueError(f"layer {l['name']!r}: no inputs")
        for i in l["inputs"]:
            if i != input_name and i not in by_name:
                raise ValueError(f"layer {l['name']!r}: input {i!r} names no layer")
    done, order = {input_name}, []
    pending = list(layers)
    while pending:
        rest = []
        for l in pending:
            if all(i in done for i in l["inputs"]):
                order.append(l)
                done.add(l["name"])
            else:
                rest.append(l)
        if len(rest) == len(pending):
            raise ValueError(f"cycle among layers {[l['name'] for l in rest]}")
        pending = rest
    return order


class McNet(nn.Module):
    """A DAG of layers. ``forward(x)`` returns the output layer; ``forward(x, True)`` all nodes.

    Attributes: ``layers`` (normalized specs, topological order), ``input_spec``,
    ``input_name``, ``output``, ``shapes`` (node name -> per-image shape, input included),
    ``mods`` (ModuleDict of the parametrized layers).
    """

    def __init__(self, layers, input_spec, output=None):
        super().__init__()
        self.input_spec = dict(input_spec)
        self.input_name = input_spec["name"]
        specs = []
        for l in layers:
            if l.get("op") not in OPS:
                raise ValueError(f"layer {l.get('name')!r}: unknown op {l.get('op')!r}")
            specs.append({"name": l["name"], "op": l["op"], "inputs": list(l["inputs"]),
                          "attrs": _norm_attrs(l)})
        self.layers = _topo_order(specs, self.input_name)
        self.output = output if output is not None else self.layers[-1]["name"]
        if self.output not in {l["name"] for l in self.layers}:
            raise ValueError(f"output {self.output!r} names no layer")

        self.mods = nn.ModuleDict()
        keys = {}
        self.shapes = {self.input_name: [int(input_spec["channels"]), int(input_spec["height"]),
                                         int(input_spec["width"])]}
        for l in self.layers:
            name, op, a = l["name"], l["op"], l["attrs"]
            nin = len(l["inputs"])
            if op == "add" and nin < 2 or op not in ("add", "concat") and nin != 1:
                raise ValueError(f"layer {name!r} ({op}): wrong number of inputs ({nin})")
            in_shapes = [self.shapes[i] for i in l["inputs"]]
            if op in PARAMS:
                key = module_key(name)
                if key in keys or key in _RESERVED or not key:
                    raise ValueError(f"layer {name!r}: module key {key!r} is taken or reserved")
                keys[key] = name
                s = in_shapes[0]
                if op == "conv2d":
                    if len(s) != 3:
                        raise ValueError(f"layer {name!r}: conv2d needs a [C,H,W] input, got {s}")
                    m = nn.Conv2d(s[0], a["outChannels"], a["kernel"], a["stride"], a["padding"],
                                  a["dilation"], a["groups"], bias=a["bias"])
                elif op == "linear":
                    m = nn.Linear(int(np.prod(s)), a["outFeatures"], bias=a["bias"])
                else:
                    if len(s) != 3:
                        raise ValueError(f"layer {name!r}: batchnorm needs a [C,H,W] input, got {s}")
                    m = nn.BatchNorm2d(s[0], eps=a["eps"])
                    m.register_buffer("num_batches_tracked", None)
                m.eval()  # the shape probe below must not touch BatchNorm running stats
                self.mods[key] = m
            if op == "add" and any(t != in_shapes[0] for t in in_shapes):
                raise ValueError(f"layer {name!r}: add of different shapes {in_shapes}")
            try:
                with torch.no_grad():
                    y = self._run_layer(l, [torch.zeros([1] + t) for t in in_shapes])
            except RuntimeError as e:
                raise ValueError(f"layer {name!r} ({op}): inputs {in_shapes} do not fit: {e}")
            self.shapes[name] = list(y.shape[1:])
        self.train()

    def _run_layer(self, l, xs):
        op, a = l["op"], l["attrs"]
        x = xs[0]
        if op == "conv2d":
            return self.mods[module_key(l["name"])](x)
        if op == "linear":
            return self.mods[module_key(l["name"])](torch.flatten(x, 1))
        if op == "batchnorm":
            return self.mods[module_key(l["name"])](x)
        if op == "relu":
            return F.relu(x)
        if op == "maxpool":
            return F.max_pool2d(x, a["kernel"], a["stride"], a["padding"], 1, a["ceilMode"])
        if op == "avgpool":
            return F.avg_pool2d(x, a["kernel"], a["stride"], a["padding"], a["ceilMode"],
                                a["countIncludePad"])
        if op == "adaptiveavgpool":
            if torch.onnx.is_in_onnx_export():
                return _adaptive_avg_static(x, self.shapes[l["inputs"][0]][1:], a["output"])
            return F.adaptive_avg_pool2d(x, a["output"])
        if op == "lrn":
            return F.local_response_norm(x, a["size"], a["alpha"], a["beta"], a["k"])
        if op == "flatten":
            return torch.flatten(x, 1)
        if op == "concat":
            return torch.cat(xs, 1)
        if op == "add":
            y = xs[0]
            for t in xs[1:]:
                y = y + t
            return y
        if op == "dropout":
            return F.dropout(x, a["p"], self.training)
        if op == "softmax":
            return F.softmax(x, 1)
        raise ValueError(f"unknown op {op!r}")

    def forward(self, x, return_all=False):
        vals = {self.input_name: x}
        for l in self.layers:
            vals[l["name"]] = self._run_layer(l, [vals[i] for i in l["inputs"]])
        return vals if return_all else vals[self.output]

    def tensors(self):
        """(tensor name, torch tensor) for every parameter and running stat, in file order."""
        out = []
        for l in self.layers:
            if l["op"] not in PARAMS:
                continue
            m = self.mods[module_key(l["name"])]
            for fname, tname in PARAMS[l["op"]]:
                t = getattr(m, tname)
                if t is not None:
                    out.append((f"{l['name']}.{fname}", t))
        return out

    def layer_params(self, name):
        """model.json "params" mapping of a layer (format param -> tensor name), or None."""
        l = next(l for l in self.layers if l["name"] == name)
        if l["op"] not in PARAMS:
            return None
        m = self.mods[module_key(name)]
        return {f: f"{name}.{f}" for f, t in PARAMS[l["op"]] if getattr(m, t) is not None}


def _adaptive_avg_static(x, in_hw, out_hw):
    """AdaptiveAvgPool2d written with fixed windows (ONNX export loses the spatial sizes)."""
    (H, W), (oh, ow) = in_hw, out_hw
    if H % oh == 0 and W % ow == 0:
        return F.avg_pool2d(x, (H // oh, W // ow))
    rows = []
    for i in range(oh):
        y0, y1 = (i * H) // oh, -(-((i + 1) * H) // oh)
        cols = [x[:, :, y0:y1, (j * W) // ow:-(-((j + 1) * W) // ow)].mean(dim=(2, 3), keepdim=True)
                for j in range(ow)]
        rows.append(torch.cat(cols, 3))
    return torch.cat(rows, 2)


def build(layers, input_spec, output=None):
    """A McNet running `layers` (model.json layer specs, see module doc) on `input_spec`.

    `output` names the logits layer (default: the last layer in topological order).
    """
    return McNet(layers, input_spec, output)


def _format_attrs(l):
    return {k: v for k, v in l["attrs"].items() if k not in BUILD_ONLY.get(l["op"], ())}


def model_dict(net, *, name, description, input_spec=None, classes, output=None):
    """model.json content (tensor offsets included) and the list of float32 arrays."""
    input_spec = dict(input_spec if input_spec is not None else net.input_spec)
    output = output if output is not None else net.output
    if input_spec["name"] != net.input_name:
        raise ValueError("input_spec name differs from the net's input name")
    layers = []
    for l in net.layers:
        d = {"name": l["name"], "op": l["op"], "inputs": list(l["inputs"])}
        attrs = _format_attrs(l)
        if attrs:
            d["attrs"] = attrs
        p = net.layer_params(l["name"])
        if p:
            d["params"] = p
        layers.append(d)
    tensors, arrays, offset = {}, [], 0
    for tname, t in net.tensors():
        arr = t.detach().cpu().to(torch.float32).numpy().astype("<f4")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"tensor {tname!r} has NaN or infinite values")
        tensors[tname] = {"shape": list(arr.shape), "offset": offset}
        arrays.append(arr)
        offset += arr.size * 4
    inp = {"name": input_spec["name"], "channels": int(input_spec["channels"]),
           "height": int(input_spec["height"]), "width": int(input_spec["width"]),
           "mean": [float(v) for v in input_spec.get("mean", [0.0] * int(input_spec["channels"]))],
           "std": [float(v) for v in input_spec.get("std", [1.0] * int(input_spec["channels"]))]}
    doc = {"format": FORMAT, "name": name, "description": description, "input": inp,
           "classes": list(classes), "layers": layers, "output": output, "tensors": tensors}
    return doc, arrays


def dumps(doc):
    """Deterministic JSON text: one-space indent; flat lists and dicts on one line; final newline."""
    def fmt(o, ind):
        pad = " " * (ind + 1)
        if isinstance(o, dict):
            if all(not isinstance(v, dict) and not (isinstance(v, (list, tuple)) and any(
                    isinstance(e, (dict, list, tuple)) for e in v)) for v in o.values()):
                return json.dumps(o, ensure_ascii=False, allow_nan=False)
            items = [pad + json.dumps(k, ensure_ascii=False) + ": " + fmt(v, ind + 1)
                     for k, v in o.items()]
            return "{\n" + ",\n".join(items) + "\n" + " " * ind + "}"
        if isinstance(o, (list, tuple)):
            if all(not isinstance(v, (dict, list, tuple)) for v in o):
                return json.dumps(list(o), ensure_ascii=False)
            items = [pad + fmt(v, ind + 1) for v in o]
            return "[\n" + ",\n".join(items) + "\n" + " " * ind + "]"
        return json.dumps(o, ensure_ascii=False, allow_nan=False)
    return fmt(doc, 0) + "\n"


def save_model(folder, net, *, name, description, input_spec=None, classes, output=None):
    """Write folder/model.json and folder/weights.bin (float32 little-endian, file order)."""
    doc, arrays = model_dict(net, name=name, description=description, input_spec=input_spec,
                             classes=classes, output=output)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "weights.bin"), "wb") as f:
        for a in arrays:
            f.write(a.tobytes())
    with open(os.path.join(folder, "model.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(dumps(doc))
    return doc


def read_tensor_table(blob, table, what):
    """name -> float32 numpy array (copied) from a bytes blob and a {shape, offset} table."""
    out = {}
    for tname, e in table.items():
        shape, off = list(e["shape"]), int(e["offset"])
        n = int(np.prod(shape)) if shape else 1
        if off % 4 or off < 0 or off + 4 * n > len(blob):
            raise ValueError(f"{what}: tensor {tname!r} has a bad offset {off}")
        out[tname] = np.frombuffer(blob, dtype="<f4", count=n, offset=off).reshape(shape).copy()
    return out


def load_model(folder):
    """Read folder/model.json + weights.bin into a McNet (float32, eval mode).

    The result carries ``net.meta``: name, description, classes and the input spec.
    """
    with open(os.path.join(folder, "model.json"), encoding="utf-8") as f:
        doc = json.load(f)
    if doc.get("format") != FORMAT:
        raise ValueError(f"unknown format {doc.get('format')!r}")
    with open(os.path.join(folder, "weights.bin"), "rb") as f:
        blob = f.read()
    table = doc["tensors"]
    need = max((e["offset"] + 4 * int(np.prod(e["shape"])) for e in table.values()), default=0)
    if len(blob) != need:
        raise ValueError(f"weights.bin has {len(blob)} bytes, the tensors need {need}")
    arrays = read_tensor_table(blob, table, "weights.bin")
    specs = []
    for l in doc["layers"]:
        attrs = dict(l.get("attrs") or {})
        params = l.get("params") or {}
        if l["op"] == "conv2d":
            attrs["outChannels"] = int(table[params["weight"]]["shape"][0])
            attrs["bias"] = "bias" in params
        elif l["op"] == "linear":
            attrs["outFeatures"] = int(table[params["weight"]]["shape"][0])
            attrs["bias"] = "bias" in params
        specs.append({"name": l["name"], "op": l["op"], "inputs": l["inputs"], "attrs": attrs})
    with torch.random.fork_rng(devices=[]):
        net = build(specs, doc["input"], doc["output"])
    for l in doc["layers"]:
        if l["op"] not in PARAMS:
            continue
        m = net.mods[module_key(l["name"])]
        for fname, tname in PARAMS[l["op"]]:
            if fname not in l.get("params", {}):
                continue
            arr = arrays[l["params"][fname]]
            t = getattr(m, tname)
            if list(t.shape) != list(arr.shape):
                raise ValueError(f"tensor {l['params'][fname]!r}: shape {list(arr.shape)}, "
                                 f"layer {l['name']!r} expects {list(t.shape)}")
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"tensor {l['params'][fname]!r} has NaN or infinite values")
            with torch.no_grad():
                t.copy_(torch.from_numpy(arr))
    net.meta = {"name": doc["name"], "description": doc["description"],
                "classes": doc["classes"], "input": doc["input"]}
    return net.eval()


def export_onnx(net, path, input_spec=None):
    """ONNX export (opset 13) of the logits, traced with batch 1, batch axis dynamic."""
    spec = input_spec if input_spec is not None else net.input_spec
    x = torch.zeros(1, int(spec["channels"]), int(spec["height"]), int(spec["width"]),
                    dtype=next(net.parameters()).dtype)
    was_training = net.training
    net.eval()
    try:
        torch.onnx.export(net, (x,), path, opset_version=13,
                          input_names=[spec["name"]], output_names=[net.output],
                          dynamic_axes={spec["name"]: {0: "batch"}, net.output: {0: "batch"}})
    finally:
        net.train(was_training)
