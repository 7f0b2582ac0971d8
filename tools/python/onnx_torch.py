# A small float64 interpreter of ONNX graphs in PyTorch (autograd through every op), and the
# channel flow of a graph (which channel of which tensor each channel depends on, through which
# kernel), for the ONNX reference fixtures (onnx_fixtures.py). Independent of torch.onnx: it
# reads the ModelProto with the onnx package and implements each op from the ONNX spec.
"""OnnxInterpreter(model).run(x, params) -> {tensor name: value}; ChannelFlow(interp, values).

Float tensors (initializers, Constant values, activations) are float64; integer tensors stay
int64 (shape arithmetic). Pooling is written from the spec (explicit -inf / 0 padding, the
output size from the floor/ceil formula), not with torch's pooling padding rules, so that
comparing with the torchvision model tests both.
"""

import math

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper

ACTIVATIONS = ("Relu", "Clip", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh",
               "Elu", "Selu", "Softplus")
KERNEL_OPS = ("Conv", "Gemm", "MatMul")
F32_ONE_SIXTH = float(np.float32(1.0 / 6.0))


def attrs_of(node):
    out = {}
    for a in node.attribute:
        v = helper.get_attribute_value(a)
        if isinstance(v, bytes):
            v = v.decode()
        elif isinstance(v, onnx.TensorProto):
            v = numpy_helper.to_array(v)
        elif isinstance(v, (list, tuple)):
            v = list(v)
        out[a.name] = v
    return out


def to_torch(arr):
    arr = np.asarray(arr)
    if arr.dtype.kind == "f":
        return torch.from_numpy(arr.astype(np.float64).copy())
    if arr.dtype.kind == "b":
        return torch.from_numpy(arr.copy())
    return torch.from_numpy(arr.astype(np.int64).copy())


def opset_of(model):
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            return o.version
    raise ValueError("no default-domain opset")


def op_histogram(model):
    h = {}
    for n in model.graph.node:
        h[n.op_type] = h.get(n.op_type, 0) + 1
    return dict(sorted(h.items(), key=lambda kv: (-kv[1], kv[0])))


def _ints(v):
    return [int(i) for i in v.reshape(-1).tolist()] if torch.is_tensor(v) else [int(i) for i in v]


def _spatial_pads(pads, nd):
    pads = list(pads) if pads else [0] * (2 * nd)
    return pads[:nd], pads[nd:]


def _pool_out(size, k, s, d, pb, pe, ceil):
    span = (k - 1) * d + 1
    v = (size + pb + pe - span) / s
    return (math.ceil(v) if ceil else math.floor(v)) + 1


def _pool_prepare(x, a, fill):
    """x padded with `fill` (explicit pads, then the ceil-mode overhang at the end), and the
    kernel, strides, dilations and output size."""
    nd = x.dim() - 2
    k = list(a["kernel_shape"])
    s = list(a.get("strides", [1] * nd))
    d = list(a.get("dilations", [1] * nd))
    auto = a.get("auto_pad", "NOTSET")
    if auto not in ("NOTSET", "VALID"):
        raise NotImplementedError(f"pool auto_pad {auto}")
    pb, pe = _spatial_pads(a.get("pads") if auto == "NOTSET" else None, nd)
    ceil = bool(a.get("ceil_mode", 0))
    size = list(x.shape[2:])
    out = [_pool_out(size[i], k[i], s[i], d[i], pb[i], pe[i], ceil) for i in range(nd)]
    extra = [max(0, (out[i] - 1) * s[i] + (k[i] - 1) * d[i] + 1 - (size[i] + pb[i] + pe[i])) for i in range(nd)]
    fpad = []
    for i in reversed(range(nd)):
        fpad += [pb[i], pe[i] + extra[i]]
    return F.pad(x, fpad, value=fill), k, s, d, out, (pb, pe, extra)


class OnnxInterpreter:
    """Runs an ONNX graph (default domain) in float64 with autograd."""

    def __init__(self, model):
        self.model = model
        self.graph = model.graph
        self.opset = opset_of(model)
        self.inits = {t.name: to_torch(numpy_helper.to_array(t)) for t in self.graph.initializer}
        self.nodes = list(self.graph.node)
        names = set(self.inits)
        self.inputs = [i.name for i in self.graph.input if i.name not in names]
        self.outputs = [o.name for o in self.graph.output]
        self.producer = {}
        self.consumers = {}
        for n in self.nodes:
            for o in n.output:
                self.producer[o] = n
            for i in n.input:
                if i:
                    self.consumers.setdefault(i, []).append(n)
        self.attrs = {id(n): attrs_of(n) for n in self.nodes}

    def node_attrs(self, n):
        return self.attrs[id(n)]

    def kernel_weight(self, n):
        """The initializer name of a kernel node's weight (Conv: input 1; Gemm: B; MatMul: the
        initializer operand), resolving Identity nodes on initializers."""
        cands = [n.input[1]] if n.op_type in ("Conv", "Gemm") else [i for i in n.input if self.is_initializer(i)]
        if len(cands) != 1:
            return None
        return self.resolve_init(cands[0])

    def is_initializer(self, name):
        return self.resolve_init(name) is not None

    def resolve_init(self, name):
        while name not in self.inits:
            p = self.producer.get(name)
            if p is None or p.op_type != "Identity":
                return None
            name = p.input[0]
        return name

    def run(self, x, params=None, input_name=None, until=None):
        """Every tensor's value. params: initializer name -> tensor used instead (leaves);
        until: stop once this tensor is computed."""
        vals = dict(self.inits)
        if params:
            vals.update(params)
        vals[input_name or self.inputs[0]] = x
        for n in self.nodes:
            ins = [vals[i] if i else None for i in n.input]
            outs = self.op(n, ins)
            for name, v in zip(n.output, outs):
                if name:
                    vals[name] = v
            if until is not None and until in n.output:
                break
        return vals

    def kernel_weights(self):
        """The weight initializers of every Conv / Gemm / MatMul node, in graph order."""
        out = []
        for n in self.nodes:
            if n.op_type in KERNEL_OPS:
                w = self.kernel_weight(n)
                if w is not None and w not in out:
                    out.append(w)
        return out

    # ------------------------------------------------------------------ ops

    def op(self, n, ins):
        t = n.op_type
        a = self.node_attrs(n)
        f = getattr(self, "op_" + t, None)
        if f is None:
            raise NotImplementedError(f"ONNX op {t} (node {n.name})")
        r = f(ins, a)
        return r if isinstance(r, tuple) else (r,)

    def op_Identity(self, ins, a):
        return ins[0]

    def op_Dropout(self, ins, a):
        if len(ins) > 2 and ins[2] is not None and bool(ins[2].item()):
            raise NotImplementedError("Dropout in training mode")
        return ins[0]

    def op_Constant(self, ins, a):
        for k in ("value", "value_float", "value_floats", "value_int", "value_ints"):
            if k in a:
                v = a[k]
                if k.startswith("value_float"):
                    v = np.asarray(v, np.float32)
                elif k.startswith("value_int"):
                    v = np.asarray(v, np.int64)
                return to_torch(v)
        raise NotImplementedError(f"Constant with {sorted(a)}")

    def op_ConstantOfShape(self, ins, a):
        v = a.get("value", np.zeros(1, np.float32))
        return torch.full(_ints(ins[0]), to_torch(v).reshape(-1)[0].item(), dtype=to_torch(v).dtype)

    def op_Cast(self, ins, a):
        to = a["to"]
        if to in (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16):
            return ins[0].to(torch.float64)
        if to in (onnx.TensorProto.INT64, onnx.TensorProto.INT32, onnx.TensorProto.INT16, onnx.TensorProto.INT8):
            return ins[0].to(torch.int64)
        if to == onnx.TensorProto.BOOL:
            return ins[0].to(torch.bool)
        raise NotImplementedError(f"Cast to {to}")

    def op_Shape(self, ins, a):
        s = list(ins[0].shape)
        s = s[a.get("start", 0):a["end"]] if "end" in a else s[a.get("start", 0):]
        return torch.tensor(s, dtype=torch.int64)

    def op_Gather(self, ins, a):
        data, idx = ins
        axis = a.get("axis", 0) % data.dim()
        idx = torch.where(idx < 0, idx + data.shape[axis], idx)
        if idx.dim() == 0:
            return data.select(axis, int(idx))
        out = data.index_select(axis, idx.reshape(-1))
        return out.reshape(list(data.shape[:axis]) + list(idx.shape) + list(data.shape[axis + 1:]))

    def _axes(self, ins, a):
        return _ints(ins[1]) if len(ins) > 1 and ins[1] is not None else list(a.get("axes", []))

    def op_Unsqueeze(self, ins, a):
        x = ins[0]
        axes = self._axes(ins, a)
        r = x.dim() + len(axes)
        for ax in sorted(ax % r for ax in axes):
            x = x.unsqueeze(ax)
        return x

    def op_Squeeze(self, ins, a):
        x = ins[0]
        axes = self._axes(ins, a)
        if not axes:
            return x.squeeze()
        for ax in sorted((ax % x.dim() for ax in axes), reverse=True):
            x = x.squeeze(ax)
        return x

    def op_Concat(self, ins, a):
        return torch.cat([i for i in ins if i is not None], dim=a["axis"])

    def op_Reshape(self, ins, a):
        x, shape = ins
        shape = _ints(shape)
        if not a.get("allowzero", 0):
            shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
        return x.reshape(shape)

    def op_Flatten(self, ins, a):
        x = ins[0]
        ax = a.get("axis", 1) % (x.dim() + 1) if x.dim() else 0
        return x.reshape(int(np.prod(x.shape[:ax], dtype=np.int64)), -1)

    def op_Transpose(self, ins, a):
        perm = a.get("perm", list(reversed(range(ins[0].dim()))))
        return ins[0].permute(*perm)

    def op_Slice(self, ins, a):
        x = ins[0]
        if len(ins) > 1:
            starts, ends = _ints(ins[1]), _ints(ins[2])
            axes = _ints(ins[3]) if len(ins) > 3 and ins[3] is not None else list(range(len(starts)))
            steps = _ints(ins[4]) if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
        else:
            starts, ends = a["starts"], a["ends"]
            axes = a.get("axes", list(range(len(starts))))
            steps = [1] * len(starts)
        for s, e, ax, st in zip(starts, ends, axes, steps):
            ax %= x.dim()
            dim = x.shape[ax]
            if st > 0:
                s = min(max(s + dim if s < 0 else s, 0), dim)
                e = min(max(e + dim if e < 0 else e, 0), dim)
                x = x.narrow(ax, s, max(0, e - s)) if st == 1 else x.index_select(ax, torch.arange(s, e, st))
            else:
                s = min(max(s + dim if s < 0 else s, -1), dim - 1)
                e = min(max(e + dim if e < 0 else e, -1), dim - 1)
                x = x.index_select(ax, torch.arange(s, e, st))
        return x

    def _bin(self, ins, f):
        a, b = ins
        return f(a, b)

    def op_Add(self, ins, a):
        return self._bin(ins, torch.add)

    def op_Sub(self, ins, a):
        return self._bin(ins, torch.sub)

    def op_Mul(self, ins, a):
        return self._bin(ins, torch.mul)

    def op_Div(self, ins, a):
        x, y = ins
        if not x.is_floating_point() and not y.is_floating_point():
            return torch.div(x, y, rounding_mode="trunc")
        return x / y

    def op_Pow(self, ins, a):
        return torch.pow(ins[0], ins[1])

    def op_Sqrt(self, ins, a):
        return torch.sqrt(ins[0])

    def op_Equal(self, ins, a):
        return torch.eq(ins[0], ins[1])

    def op_Relu(self, ins, a):
        return torch.relu(ins[0])

    def op_LeakyRelu(self, ins, a):
        alpha = a.get("alpha", 0.01)
        x = ins[0]
        return torch.where(x >= 0, x, x * alpha)

    def op_Sigmoid(self, ins, a):
        return torch.sigmoid(ins[0])

    def op_Tanh(self, ins, a):
        return torch.tanh(ins[0])

    def op_HardSigmoid(self, ins, a):
        alpha, beta = a.get("alpha", 0.2), a.get("beta", 0.5)
        # torch.onnx writes PyTorch's hardsigmoid (x/6 + 1/2) with alpha = float32(1/6); the
        # float64 reference takes the 1/6 it stands for (the difference, 3e-8 relative, is far
        # below float32 resolution of the engine's results anyway).
        if alpha == F32_ONE_SIXTH:
            alpha = 1.0 / 6.0
        return torch.clamp(ins[0] * alpha + beta, 0.0, 1.0)

    def op_HardSwish(self, ins, a):
        x = ins[0]
        return x * torch.clamp(x / 6.0 + 0.5, 0.0, 1.0)

    def op_Clip(self, ins, a):
        x = ins[0]
        if self.opset >= 11:
            lo = ins[1] if len(ins) > 1 and ins[1] is not None else None
            hi = ins[2] if len(ins) > 2 and ins[2] is not None else None
            lo = None if lo is None else float(lo.reshape(-1)[0])
            hi = None if hi is None else float(hi.reshape(-1)[0])
        else:
            lo, hi = a.get("min"), a.get("max")
        if lo is not None:
            x = torch.maximum(x, torch.tensor(lo, dtype=x.dtype))
        if hi is not None:
            x = torch.minimum(x, torch.tensor(hi, dtype=x.dtype))
        return x

    def op_Softmax(self, ins, a):
        x = ins[0]
        if self.opset >= 13:
            return torch.softmax(x, dim=a.get("axis", -1))
        ax = a.get("axis", 1) % x.dim()
        shp = x.shape
        return torch.softmax(x.reshape(int(np.prod(shp[:ax])), -1), dim=1).reshape(shp)

    def op_Conv(self, ins, a):
        x, w = ins[0], ins[1]
        b = ins[2] if len(ins) > 2 else None
        nd = x.dim() - 2
        if nd != 2:
            raise NotImplementedError("Conv other than 2-D")
        auto = a.get("auto_pad", "NOTSET")
        if auto not in ("NOTSET", "VALID"):
            raise NotImplementedError(f"Conv auto_pad {auto}")
        s = list(a.get("strides", [1] * nd))
        d = list(a.get("dilations", [1] * nd))
        g = a.get("group", 1)
        if "kernel_shape" in a and list(a["kernel_shape"]) != list(w.shape[2:]):
            raise ValueError("Conv kernel_shape differs from the weight's")
        pb, pe = _spatial_pads(a.get("pads") if auto == "NOTSET" else None, nd)
        if pb == pe:
            return F.conv2d(x, w, b, s, pb, d, g)
        return F.conv2d(F.pad(x, [pb[1], pe[1], pb[0], pe[0]]), w, b, s, 0, d, g)

    def op_MaxPool(self, ins, a):
        if a.get("storage_order", 0) or len(a.get("kernel_shape", [])) != 2:
            raise NotImplementedError("MaxPool variant")
        xp, k, s, d, out, _ = _pool_prepare(ins[0], a, float("-inf"))
        y = F.max_pool2d(xp, k, s, 0, d)
        if list(y.shape[2:]) != out:
            raise RuntimeError(f"MaxPool output {list(y.shape[2:])}, expected {out}")
        return y

    def op_AveragePool(self, ins, a):
        x = ins[0]
        if len(a.get("kernel_shape", [])) != 2 or any(v != 1 for v in a.get("dilations", [1, 1])):
            raise NotImplementedError("AveragePool variant")
        xp, k, s, d, out, (pb, pe, extra) = _pool_prepare(x, a, 0.0)
        sums = F.avg_pool2d(xp, k, s, 0, divisor_override=1)
        # Divisor: the window's cells inside the input (count_include_pad = 0) or inside the
        # input and its explicit pads (1); cells of the ceil-mode overhang never count.
        ones = torch.ones((1, 1) + tuple(x.shape[2:]), dtype=x.dtype)
        if a.get("count_include_pad", 0):
            ones = F.pad(ones, [pb[1], pe[1], pb[0], pe[0]], value=1.0)
            ones = F.pad(ones, [0, extra[1], 0, extra[0]], value=0.0)
        else:
            ones = F.pad(ones, [pb[1], pe[1] + extra[1], pb[0], pe[0] + extra[0]], value=0.0)
        cnt = F.avg_pool2d(ones, k, s, 0, divisor_override=1)
        y = sums / cnt
        if list(y.shape[2:]) != out:
            raise RuntimeError(f"AveragePool output {list(y.shape[2:])}, expected {out}")
        return y

    def op_GlobalAveragePool(self, ins, a):
        x = ins[0]
        return x.mean(dim=tuple(range(2, x.dim())), keepdim=True)

    def op_GlobalMaxPool(self, ins, a):
        x = ins[0]
        return x.amax(dim=tuple(range(2, x.dim())), keepdim=True)

    def op_BatchNormalization(self, ins, a):
        if a.get("training_mode", 0):
            raise NotImplementedError("BatchNormalization in training mode")
        x, scale, bias, mean, var = ins[:5]
        eps = a.get("epsilon", 1e-5)
        shp = (1, -1) + (1,) * (x.dim() - 2)
        return (x - mean.view(shp)) / torch.sqrt(var.view(shp) + eps) * scale.view(shp) + bias.view(shp)

    def op_LRN(self, ins, a):
        x = ins[0]
        size = a["size"]
        alpha, beta, bias = a.get("alpha", 1e-4), a.get("beta", 0.75), a.get("bias", 1.0)
        sq = (x * x).unsqueeze(1)  # [N, 1, C, H, W]
        lo, hi = (size - 1) // 2, size - 1 - (size - 1) // 2
        sq = F.pad(sq, [0, 0, 0, 0, lo, hi])
        ssum = F.avg_pool3d(sq, (size, 1, 1), 1, 0, divisor_override=1).squeeze(1)
        return x / torch.pow(bias + alpha / size * ssum, beta)

    def op_Pad(self, ins, a):
        x = ins[0]
        if self.opset >= 11:
            pads = _ints(ins[1])
            value = float(ins[2].reshape(-1)[0]) if len(ins) > 2 and ins[2] is not None else 0.0
            if len(ins) > 3 and ins[3] is not None:
                raise NotImplementedError("Pad with axes")
        else:
            pads, value = list(a["pads"]), a.get("value", 0.0)
        mode = a.get("mode", "constant")
        r = x.dim()
        fp = []
        for i in reversed(range(r)):
            fp += [pads[i], pads[i + r]]
        if mode == "constant":
            return F.pad(x, fp, value=value)
        if any(pads[i] or pads[i + r] for i in range(r - 2)):
            raise NotImplementedError("reflect/edge Pad over N or C")
        return F.pad(x, fp[:4], mode={"reflect": "reflect", "edge": "replicate"}[mode])

    def op_Gemm(self, ins, a):
        A, B = ins[0], ins[1]
        C = ins[2] if len(ins) > 2 else None
        if a.get("transA", 0):
            A = A.t()
        if a.get("transB", 0):
            B = B.t()
        y = a.get("alpha", 1.0) * (A @ B)
        if C is not None:
            y = y + a.get("beta", 1.0) * C
        return y

    def op_MatMul(self, ins, a):
        return torch.matmul(ins[0], ins[1])

    def op_ReduceMean(self, ins, a):
        axes = self._axes(ins, a) if self.opset >= 18 else a.get("axes")
        x = ins[0]
        dims = tuple(range(x.dim())) if not axes else tuple(axes)
        return x.mean(dim=dims, keepdim=bool(a.get("keepdims", 1)))


def inferred_shapes(model):
    """Tensor name -> shape (None for a symbolic dim) from onnx's shape inference (run on a
    copy whose large float initializers are declared as graph inputs, without their data)."""
    light = onnx.ModelProto()
    light.CopyFrom(model) if sum(t.ByteSize() for t in model.graph.initializer) < (1 << 20) else _light_copy(model, light)
    m = onnx.shape_inference.infer_shapes(light)
    out = {}
    for vi in list(m.graph.value_info) + list(m.graph.output) + list(m.graph.input):
        tt = vi.type.tensor_type
        if not tt.HasField("shape"):
            continue
        out[vi.name] = [d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim]
    return out


def _light_copy(model, light):
    light.ir_version = model.ir_version
    light.opset_import.extend(model.opset_import)
    g = light.graph
    g.name = model.graph.name
    g.node.extend(model.graph.node)
    g.input.extend(model.graph.input)
    g.output.extend(model.graph.output)
    names = {i.name for i in model.graph.input}
    for t in model.graph.initializer:
        if t.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE) and np.prod(t.dims) > 64:
            if t.name not in names:
                g.input.append(helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
        else:
            g.initializer.append(t)
    return light


def fold_constant_subgraphs(model):
    """Replaces every non-Constant node whose inputs are all constant (initializers or Constant
    outputs, recursively) by initializers holding its outputs, and drops Constant nodes left
    without consumers. Returns the names of the folded nodes."""
    interp = OnnxInterpreter(model)
    g = model.graph
    const = dict(interp.inits)
    folded, keep = [], []
    for n in g.node:
        ins = [i for i in n.input if i]
        if n.op_type != "Constant" and n.op_type != "Shape" and all(i in const for i in ins):
            outs = interp.op(n, [const[i] if i else None for i in n.input])
            for name, v in zip(n.output, outs):
                const[name] = v
            folded.append(n)
            continue
        if n.op_type == "Constant":
            const[n.output[0]] = interp.op(n, [])[0]
        keep.append(n)
    if not folded:
        return []
    folded_out = {o for n in folded for o in n.output}
    needed = {i for n in keep for i in n.input} | {o.name for o in g.output}
    new_inits = []
    for n in folded:
        for o in n.output:
            if o in needed:
                v = const[o]
                arr = v.numpy()
                arr = arr.astype(np.float32) if arr.dtype.kind == "f" else arr.astype(np.int64)
                new_inits.append(numpy_helper.from_array(arr, o))
    # Drop Constant nodes only the folded nodes read.
    keep2 = [n for n in keep if n.op_type != "Constant" or n.output[0] in needed]
    del g.node[:]
    g.node.extend(keep2)
    g.initializer.extend(new_inits)
    assert not (folded_out - {t.name for t in new_inits}) & needed
    return [n.name for n in folded]


# ---------------------------------------------------------------------- channel flow

class ChannelFlow:
    """Which channel of which tensor each channel of a tensor on a path to `target_tensor`
    depends on. A Conv's output channel o depends on input channel g(o)*Cg + j through edge
    (o, j) of its weight (kept as the [Co, Cg] structure, vectorized); the other ops pass
    channels through: activations, pooling, batchnorm, pad, dropout, identity the same channel,
    LRN its window, Concat on axis 1 with offsets, Add/Mul/Sub/Div the same channel of every
    non-constant operand (channel 0 of a broadcast one). Tensors are NCHW; any other op on a
    path to the target is an error."""

    SAME = ("Relu", "Clip", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Elu",
            "Selu", "Softplus", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
            "BatchNormalization", "Dropout", "Identity", "Pad")

    def __init__(self, interp, values, target_tensor):
        self.interp = interp
        self.input = interp.inputs[0]
        need, stack = set(), [target_tensor]
        while stack:
            t = stack.pop()
            p = interp.producer.get(t)
            if p is None or id(p) in need:
                continue
            need.add(id(p))
            stack.extend(i for i in p.input if i)
        self.nch = {self.input: values[self.input].shape[1]}
        self.steps = []   # (node, output, kind, data)
        for n in interp.nodes:
            if id(n) not in need:
                continue
            op, ins, out = n.op_type, n.input, n.output[0]
            v = values[out]
            live = [i for i in ins if i and i in self.nch]
            if not torch.is_tensor(v) or not v.is_floating_point() or v.dim() != 4:
                if live:
                    raise RuntimeError(f"no channel flow through {op} {n.name} (output {list(v.shape)})")
                continue
            if not live:
                continue
            C = v.shape[1]
            if op == "Conv":
                co, cg = values[ins[1]].shape[:2]
                grp = interp.node_attrs(n).get("group", 1)
                step = ("conv", dict(src=ins[0], w=interp.kernel_weight(n), G=grp, cog=co // grp, cg=cg))
            else:
                if op in self.SAME:
                    d = [[(ins[0], c)] for c in range(C)]
                elif op == "LRN":
                    size = interp.node_attrs(n)["size"]
                    lo, hi = (size - 1) // 2, size - 1 - (size - 1) // 2
                    d = [[(ins[0], c2) for c2 in range(max(0, c - lo), min(C - 1, c + hi) + 1)] for c in range(C)]
                elif op == "Concat":
                    if interp.node_attrs(n)["axis"] % 4 != 1:
                        raise RuntimeError(f"Concat {n.name} not on channels")
                    d = []
                    for i in ins:
                        d += [[(i, c)] if i in self.nch else [] for c in range(values[i].shape[1])]
                elif op in ("Add", "Mul", "Sub", "Div"):
                    d = [[(i, c if self.nch[i] > 1 else 0) for i in live] for c in range(C)]
                else:
                    raise RuntimeError(f"no channel flow for op {op} ({n.name})")
                if len(d) != C:
                    raise RuntimeError(f"{n.name}: {len(d)} channel entries for {C} channels")
                step = ("pass", d)
            self.nch[out] = C
            self.steps.append((n, out) + step)

    @staticmethod
    def _allowed(kept, w, shape):
        return np.ones(shape, bool) if kept is None else np.asarray(kept[w]) > 0

    def back(self, target_tensor, channels, kept=None):
        """Channels reaching the target through allowed edges (all, or kept[w][o, j] > 0), and
        per Conv weight the 0/1 [Co, Cg] edges passed on the way."""
        reach = {t: np.zeros(c, bool) for t, c in self.nch.items()}
        reach[target_tensor][list(channels)] = True
        edges = {}
        for n, out, kind, d in reversed(self.steps):
            r = reach[out]
            if not r.any():
                continue
            if kind == "conv":
                G, cog, cg = d["G"], d["cog"], d["cg"]
                passed = r[:, None] & self._allowed(kept, d["w"], (G * cog, cg))
                edges[d["w"]] = passed.astype(np.float64)
                reach[d["src"]] |= passed.reshape(G, cog, cg).any(1).reshape(G * cg)
            else:
                for c in np.nonzero(r)[0]:
                    for src, c2 in d[c]:
                        reach[src][c2] = True
        return reach, edges

    def forward(self, kept):
        """Channels reached from the input (every channel) through kept edges."""
        reach = {self.input: np.ones(self.nch[self.input], bool)}
        for n, out, kind, d in self.steps:
            if kind == "conv":
                G, cog, cg = d["G"], d["cog"], d["cg"]
                a = self._allowed(kept, d["w"], (G * cog, cg)).reshape(G, cog, cg)
                reach[out] = (a & reach[d["src"]].reshape(G, 1, cg)).any(-1).reshape(G * cog)
            else:
                reach[out] = np.array([any(reach[src][c2] for src, c2 in dl if src in reach) for dl in d], bool)
        return reach

    def effective(self, target_tensor, channels, kept):
        """Kept edges on a path of kept edges from the input to the target."""
        fwd = self.forward(kept)
        _, back_edges = self.back(target_tensor, channels, kept)
        out = {}
        for n, o, kind, d in self.steps:
            if kind != "conv":
                continue
            G, cog, cg = d["G"], d["cog"], d["cg"]
            k = (np.asarray(kept[d["w"]]) > 0).reshape(G, cog, cg)
            be = back_edges.get(d["w"], np.zeros((G * cog, cg))).reshape(G, cog, cg) > 0
            src_ok = fwd[d["src"]].reshape(G, 1, cg)
            out[d["w"]] = (k & be & src_ok).reshape(G * cog, cg).astype(np.float64)
        return out

    def conv_outputs(self):
        return [out for n, out, kind, d in self.steps if kind == "conv"]
