# Writes ONNX reference fixtures: torchvision models (seeded random weights, random batchnorm
# statistics) exported to ONNX, with float64 reference values computed by interpreting the
# exported graph in PyTorch (onnx_torch.py), checked against the torchvision model itself.
"""Usage: OMP_NUM_THREADS=1 /usr/bin/python3 tools/python/onnx_fixtures.py [--out DIR] [--force]
                                                  [--models a,b,...]

Default --out is <repo>/.cache/onnx-fixtures/ (git-ignored). Files that already exist are kept
(a model whose files all exist is not even built) unless --force. Same bytes on every run
(seeded; torch.onnx.export is deterministic; the float64 values are rounded to float32).

Layout, per model <name> (alexnet, vgg11, resnet18, resnet18-bn, googlenet, squeezenet1_1,
mobilenet_v2, mobilenet_v3_small, zoo-ops):

  <name>/export.json   how the model was built and exported: builder, kwargs, seeds, opset,
                       irVersion, ops (histogram of node op types), inputSizes {size: H = W},
                       sizes (the sizes written, e.g. ["full", "small"]), files {size: onnx
                       file}, sizesSkipped {size: reason} (e.g. alexnet at 64x64: torch.onnx
                       cannot export AdaptiveAvgPool2d(6) of a map that is not a multiple of 6)
  <name>/model.onnx    the graph traced at the `full` input size (batch axis dynamic, H and W
                       fixed)
  <name>/small.onnx    the same weights traced at the `small` size, where that exports
  <name>/<size>.json   reference values for <size> = full | small (format below)
  <name>/<size>.bin    their float32 little-endian arrays

<size>.json ("format": "cnn-microscope-onnx-reference/1"):

  model, size, onnxFile, onnxSha256, irVersion, opset, producer, ops   the graph it describes
  dtype "float32", computedIn "float64"
  input   {name, shape [2, 3, H, W], seed, definition}: a normal(0, 1) batch, already
          "normalized"; the float32 values are the input exactly (cast to float64); seed is
          the one chosen (ties below)
  ties    {delta 1e-4, nearTies, seed, tries, minMargin, at}: the decisions of the batch that
          lie near a bend (the rule below): their count at delta, the seed used, how many
          seeds were tried, the smallest relative margin and the node where it is
  output  {name, shape [2, classes]}
  logits  the float64 logits as JSON numbers ([2][classes]); maxAbsLogit
  targets.logit  {kind "classLogit", class c, value T, perImage [T_0, T_1]}:
                 T = sum_n logits[n, c]
  targets.node   {kind "featureMean", conv (node name), convOutput, weight (its initializer),
                 activation (node name), activationOp, activationOutput, batchnorms (BN nodes
                 between conv and activation, if any), channel k, mapShape [C, H, W],
                 value, perImage}: F = sum_n mean_(y,x) activationOutput[n, k, y, x]
  kernelLayers   every Conv / Gemm / MatMul node in graph order: node, op, weight (initializer
                 name), weightShape, edgeShape [Co, Cin/groups] (Gemm/MatMul fed by a flattened
                 [C, H, W] map: [O, C]; fed by a vector: [O, F]), K, groups, inChannels,
                 edgeOffset (global edge numbering, docs/saliency.md), nodeMap (the tensor whose
                 channel is the node: the activation that is the sole consumer, through
                 batchnorms, else the layer's output), upstream (has a path to the node target)
  circuit  the node target's "actgrad" circuit oracle (docs/saliency.md, d = 2 images):
           criterion, d, keep 0.1, relevantEdges N, k = max(1, ceil(0.1 N - 1e-9)), dead,
           layers (the upstream Conv weights in kernel-layer order), and for the two cuts
           "global" (raw scores ranked over all relevant conv kernels) and "perLayer" (min-max
           normalized per layer over its relevant edges, 1 when all equal): keptBefore,
           keptAfter (after the effective mask), boundaryGap ((s_k - s_(k+1)) / s_k of the raw
           scores for global, n_k - n_(k+1) of the normalized ones for perLayer)
  checks   the self-checks' numbers (interpreter vs torchvision, shapes, cross-checks)
  tensors  name -> {shape, offset}: offset is a byte offset into <size>.bin (a multiple of 4);
           row-major float32 little-endian; the tensors fill the file in table order

Tensors (<w> is an initializer name, e.g. "onnx::Conv_193" or "features.0.weight"; everything
after the second "/" of a key is the name):

  input                    [2, 3, H, W]
  logits                   [2, classes]
  grad/logit/input         [2, 3, H, W]   dT/d input
  grad/logit/<w>           shape of <w>   dT/d w for every Conv, Gemm and MatMul weight (the
                                          effective, possibly batchnorm-folded kernels the file
                                          holds; for Gemm/MatMul in the file's own layout)
  grad/node/input          [2, 3, H, W]   dF/d input
  grad/node/<w>            shape of <w>   dF/d w for every upstream Conv weight
  circuit/relevant/<w>     [Co, Cin/g]    0/1: edge on a path to the target (channel walk; in the
                                          target conv only row k)
  circuit/actgrad/<w>      [Co, Cin/g]    1/d sum_n 1/m sum_p |a_(o<-i)(n, p) g_n[o](p)|, with
                                          a the edge's pre-sum map and g_n = dF_n/d(conv output)
  circuit/actgrad-mean/<w> [Co, Cin/g]    1/d sum_n |1/m sum_p a g| = 1/d sum_n |1/m sum_k W_k G_n,k|
  circuit/nodes/actgrad/<w> [Co]          1/d sum_n 1/m' sum_p |h dF_n/dh| on the conv's nodeMap h
  circuit/global/before/<w>, circuit/global/after/<w>,
  circuit/perLayer/before/<w>, circuit/perLayer/after/<w>   [Co, Cin/g] 0/1 kept sets

Near ties. A float32 engine takes a different branch than float64 wherever a decision is within
float32 rounding of its bend, and one such flipped unit moves the input and weight gradients by
up to ~5e-2 relative (resnet18 `small`, seed 10302: one ReLU of layer1.0 in image 1, margin
7e-9), far above a 1e-4 comparison. A decision is a near tie, at delta = 1e-4, when
  - an activation (Relu, LeakyRelu: bend 0; Clip: min and max; HardSigmoid: where alpha x + beta
    is 0 and 1; HardSwish: -3 and 3) has a pre-activation value x with
    |x - bend| < delta * rms(x over that tensor); values that are exactly the bias of the Conv
    that makes them (the whole input window exactly 0: a dead channel under a depthwise conv,
    as in mobilenet_v2) are skipped, float32 computes them exactly too;
  - a MaxPool window's max exceeds the largest value below it by less than delta * rms(input);
    padded cells are no values, windows whose max is exactly 0 are skipped, and so are cells
    exactly equal to the max (copies of one value, e.g. googlenet's max pool of a max pool).
minMargin is the smallest |x - bend| / rms or gap / rms over all of them. For every `small` and
the `full` of zoo-ops and mobilenet_v3_small, seeds seed0, seed0 + 1, ... are tried (40 at most,
seed0 = 100 * model seed + 1 for full, + 2 for small) and the first without a near tie is used;
where none of the 40 has none (a 64x64 batch of these nets has ~6 to ~150 values within 1e-4 rms
of a bend, whatever the seed), the one with the largest minMargin. The other `full` sizes keep
seed0 and count their near ties. The circuit cut's own near ties are boundaryGap (below).

Every float64 reference comes from interpreting the exported ONNX graph (onnx_torch.py); the
script asserts that the interpreter's logits equal the torchvision model's own float64 logits
within 1e-9 relative (relative to the largest |logit|). Where torch.onnx folded batchnorms
into the convs (float32 folded kernels), the torchvision model is compared with its convs
given the file's folded kernels and biases and those batchnorms made identities; its
difference from the unfolded float64 model (float32 folding rounding, ~1e-7) is reported.
"""

import os

# One thread everywhere (OpenBLAS reads this when it loads): float sums depend on the thread
# count (the calibration batch's statistics, reductions), and the files must not.
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import copy
import hashlib
import io
import json
import math
import sys
import time
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_torch as ot  # noqa: E402

FORMAT = "cnn-microscope-onnx-reference/1"
REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_OUT = os.path.join(REPO, ".cache", "onnx-fixtures")
BATCH = 2
LOGIT_CLASS = 1
KEEP = 0.1
KEEP_EPS = 1e-9
LOGIT_TOL = 1e-9
CHECK_TOL = 1e-10
SMALL_IMAGENET = 64
CHUNK_ELEMENTS = 1 << 24   # float64 elements per pre-sum-map chunk (128 MiB)
TIE_DELTA = 1e-4           # near tie: a decision within TIE_DELTA * rms of its bend (docstring)
TIE_TRIES = 40             # input seeds tried for a batch without near ties
TIE_OPS = ("Relu", "Clip", "LeakyRelu", "HardSigmoid", "HardSwish", "MaxPool")
TIE_SEARCH_FULL = ("zoo-ops", "mobilenet_v3_small")   # full sizes whose input is searched too

# name, builder, builder kwargs, seed, opset, sizes {size: H=W}, keep batchnorm nodes
SPECS = [
    dict(name="alexnet", builder="alexnet", kwargs={}, seed=101, opset=13),
    dict(name="vgg11", builder="vgg11", kwargs={}, seed=102, opset=13),
    dict(name="resnet18", builder="resnet18", kwargs={}, seed=103, opset=13),
    dict(name="resnet18-bn", builder="resnet18", kwargs={}, seed=103, opset=13, keep_bn=True),
    dict(name="googlenet", builder="googlenet",
         kwargs=dict(aux_logits=False, init_weights=True, transform_input=False), seed=104, opset=11),
    dict(name="squeezenet1_1", builder="squeezenet1_1", kwargs={}, seed=105, opset=13),
    dict(name="mobilenet_v2", builder="mobilenet_v2", kwargs={}, seed=106, opset=9),
    dict(name="mobilenet_v3_small", builder="mobilenet_v3_small", kwargs={}, seed=107, opset=14),
    dict(name="zoo-ops", builder="zoo-ops", kwargs={}, seed=108, opset=13, sizes={"full": 32, "small": 24}),
]
for _s in SPECS:
    _s.setdefault("sizes", {"full": 224, "small": SMALL_IMAGENET})
    _s.setdefault("keep_bn", False)


# ---------------------------------------------------------------------------- zoo-ops

class _LRNFunction(torch.autograd.Function):
    """F.local_response_norm, exported as one ONNX LRN node (torch.onnx traces the functional
    form into ~20 nodes with an If)."""

    @staticmethod
    def forward(ctx, x, size, alpha, beta, k):
        return F.local_response_norm(x, size, alpha, beta, k)

    @staticmethod
    def symbolic(g, x, size, alpha, beta, k):
        return g.op("LRN", x, size_i=size, alpha_f=alpha, beta_f=beta, bias_f=k)


class LRN(nn.LocalResponseNorm):
    def forward(self, x):
        if torch.onnx.is_in_onnx_export():
            return _LRNFunction.apply(x, self.size, self.alpha, self.beta, self.k)
        return F.local_response_norm(x, self.size, self.alpha, self.beta, self.k)


class ZooOps(nn.Module):
    """3x32x32 -> 10: ZeroPad2d + conv + ReLU + LRN(5) + max pool; conv stride 2 padding (1, 2)
    + LeakyReLU(0.1); F.pad (1, 0, 0, 1) + grouped dilated conv + ReLU; average pool 3/2 pad 1
    (count_include_pad False, ceil_mode) + batchnorm (not after a conv: stays a node); 1x1 conv +
    sigmoid + identity; x.view(x.size(0), -1) + dropout; linear + ReLU; x @ W + b (MatMul, Add).
    Hyper-parameters are float32 values, so the ONNX attributes hold them exactly."""

    def __init__(self):
        super().__init__()
        self.pad = nn.ZeroPad2d(1)
        self.c1 = nn.Conv2d(3, 8, 3)
        self.lrn = LRN(5, alpha=0.5, beta=0.75, k=2.0)
        self.c2 = nn.Conv2d(8, 12, 3, stride=2, padding=(1, 2))
        self.leaky = nn.LeakyReLU(float(np.float32(0.1)))
        self.c3 = nn.Conv2d(12, 16, 3, padding=2, dilation=2, groups=2)
        self.pool = nn.AvgPool2d(3, 2, padding=1, count_include_pad=False, ceil_mode=True)
        self.bn = nn.BatchNorm2d(16, eps=float(np.float32(1e-5)))
        self.c4 = nn.Conv2d(16, 16, 1)
        self.sig = nn.Sigmoid()
        self.ident = nn.Identity()
        self.drop = nn.Dropout(0.5)
        self.fc1 = nn.Linear(16 * 5 * 6, 32)
        self.w2 = nn.Parameter(torch.randn(32, 10) / math.sqrt(32))
        self.b2 = nn.Parameter(0.1 * torch.randn(10))

    def forward(self, x):
        x = F.max_pool2d(self.lrn(F.relu(self.c1(self.pad(x)))), 2)      # 8x16x16
        x = self.leaky(self.c2(x))                                        # 12x8x9
        x = F.relu(self.c3(F.pad(x, (1, 0, 0, 1))))                       # 16x9x10
        x = self.bn(self.pool(x))                                         # 16x5x6
        x = self.ident(self.sig(self.c4(x)))
        x = self.drop(x.view(x.size(0), -1))
        x = F.relu(self.fc1(x))
        return x @ self.w2 + self.b2


def zoo_postprocess(m):
    """Fold the constant pads arithmetic torch.onnx leaves behind F.pad / ZeroPad2d (Constant ->
    ConstantOfShape -> Concat -> Reshape -> Slice -> Transpose -> Reshape -> Cast) into int64
    initializers, then insert the Identity (after the Sigmoid) and Dropout (before the first
    Gemm) nodes that tracing drops from an eval-mode model."""
    folded = ot.fold_constant_subgraphs(m)
    g = m.graph
    nodes = list(g.node)

    def insert_after(producer_out, node):
        idx = next(i for i, n in enumerate(nodes) if producer_out in n.output) if producer_out not in \
            [i.name for i in g.input] else -1
        nodes.insert(idx + 1, node)

    sig = next(n for n in nodes if n.op_type == "Sigmoid")
    s_out, i_out = sig.output[0], "/ident/Identity_output_0"
    for n in nodes:
        for k, i in enumerate(n.input):
            if i == s_out:
                n.input[k] = i_out
    insert_after(s_out, helper.make_node("Identity", [s_out], [i_out], name="/ident/Identity"))
    gemm = next(n for n in nodes if n.op_type == "Gemm")
    src, d_out = gemm.input[0], "/drop/Dropout_output_0"
    gemm.input[0] = d_out
    g.initializer.append(numpy_helper.from_array(np.array(0.5, np.float32), "drop.ratio"))
    insert_after(src, helper.make_node("Dropout", [src, "drop.ratio"], [d_out], name="/drop/Dropout"))
    del g.node[:]
    g.node.extend(nodes)
    return folded


# ---------------------------------------------------------------------------- models

def build(spec):
    torch.manual_seed(spec["seed"])
    if spec["builder"] == "zoo-ops":
        m = ZooOps()
    else:
        m = getattr(torchvision.models, spec["builder"])(weights=None, **spec["kwargs"])
    randomize_batchnorm(m, spec["seed"] + 5000, spec["sizes"]["full"])
    return m.eval()


def randomize_batchnorm(model, seed, hw):
    """Running statistics from a seeded calibration batch (4 normal(0, 1) images, train-mode
    forward, cumulative average), then made random: var *= U(0.5, 2), mean += 0.3 sqrt(var) z,
    weight ~ U(0.5, 1.5), bias ~ 0.2 z. Keeps activations O(1) through deep nets while the
    folded kernels and biases are arbitrary."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    gen = torch.Generator().manual_seed(seed)
    moms = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    with torch.no_grad():
        model(torch.randn(4, 3, hw, hw, generator=gen))
    model.eval()
    with torch.no_grad():
        for m, mom in zip(bns, moms):
            m.momentum = mom
            c = m.num_features
            m.running_var.mul_(torch.empty(c).uniform_(0.5, 2.0, generator=gen))
            m.running_mean.add_(0.3 * m.running_var.sqrt() * torch.randn(c, generator=gen))
            m.weight.copy_(torch.empty(c).uniform_(0.5, 1.5, generator=gen))
            m.bias.copy_(0.2 * torch.randn(c, generator=gen))


def export(model, spec, hw):
    """The ONNX ModelProto of the model traced at [1, 3, hw, hw] (batch axis dynamic)."""
    kw = dict(opset_version=spec["opset"], input_names=["input"], output_names=["logits"],
              dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, do_constant_folding=True)
    if spec["keep_bn"]:
        # PRESERVE with the model in eval mode: torch.onnx skips its conv+batchnorm fusion
        # (run only for TrainingMode.EVAL) and writes inference-mode BatchNormalization nodes.
        kw["training"] = torch.onnx.TrainingMode.PRESERVE
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.zeros(1, 3, hw, hw), f, **kw)
    m = onnx.load_from_string(f.getvalue())
    folded = zoo_postprocess(m) if spec["builder"] == "zoo-ops" else []
    onnx.checker.check_model(m)
    hist = ot.op_histogram(m)
    if spec["keep_bn"] and not hist.get("BatchNormalization"):
        raise RuntimeError(f"{spec['name']}: no BatchNormalization node kept")
    if spec["builder"] == "zoo-ops":
        for op in ("Shape", "Gather", "Unsqueeze", "Concat", "Reshape", "Pad", "LRN", "LeakyRelu",
                   "Sigmoid", "AveragePool", "Dropout", "Identity", "BatchNormalization", "MatMul"):
            if op not in hist:
                raise RuntimeError(f"zoo-ops: no {op} node")
    return m, folded


# ---------------------------------------------------------------------------- graph facts

def node_map(interp, conv):
    """(activation node or None, batchnorm nodes, map tensor) of a Conv: the activation that is
    the sole consumer (through sole-consumer batchnorms), else the conv's output (or that of
    the last batchnorm)."""
    t, bns = conv.output[0], []
    while True:
        cons = interp.consumers.get(t, [])
        if len(cons) == 1 and cons[0].op_type == "BatchNormalization":
            bns.append(cons[0])
            t = cons[0].output[0]
            continue
        if len(cons) == 1 and cons[0].op_type in ot.ACTIVATIONS:
            return cons[0], bns, cons[0].output[0]
        return None, bns, t


def flat_source(interp, values, name):
    """[C, H, W] of the map a Gemm/MatMul input was flattened from, else None."""
    while True:
        p = interp.producer.get(name)
        if p is None:
            return None
        if p.op_type in ("Dropout", "Identity"):
            name = p.input[0]
            continue
        if p.op_type in ("Flatten", "Reshape"):
            v = values[p.input[0]]
            return list(v.shape[1:]) if v.dim() == 4 else None
        return None


def kernel_layers(interp, values):
    out, off = [], 0
    for n in interp.nodes:
        if n.op_type not in ot.KERNEL_OPS:
            continue
        w = interp.kernel_weight(n)
        if w is None:
            continue
        wt = interp.inits[w]
        info = {"node": n.name, "op": n.op_type, "weight": w, "weightShape": list(wt.shape)}
        if n.op_type == "Conv":
            co, cg, kh, kw = wt.shape
            grp = interp.node_attrs(n).get("group", 1)
            info.update(edgeShape=[co, cg], K=kh * kw, groups=grp, inChannels=cg * grp)
            act, bns, mp = node_map(interp, n)
            info["nodeMap"] = mp
        else:
            if n.op_type == "Gemm":
                o, fdim = wt.shape if interp.node_attrs(n).get("transB", 0) else reversed(wt.shape)
            else:
                fdim, o = wt.shape
            src = flat_source(interp, values, n.input[0])
            if src is not None and int(np.prod(src)) == fdim:
                info.update(edgeShape=[int(o), src[0]], K=src[1] * src[2], groups=1, inChannels=src[0],
                            inputMap=src)
            else:
                info.update(edgeShape=[int(o), int(fdim)], K=1, groups=1, inChannels=int(fdim), inputMap=None)
            info["nodeMap"] = n.output[0]
        info["edgeOffset"] = off
        off += info["edgeShape"][0] * info["edgeShape"][1]
        info["_node"] = n
        out.append(info)
    return out


def choose_target(interp, values, layers):
    """The middle of the Conv nodes whose map is a Relu/Clip output with more than one position,
    and its first channel whose per-image mean is at least a quarter of the best channel's
    (min over the images)."""
    cands = []
    for L in layers:
        if L["op"] != "Conv":
            continue
        act, bns, mp = node_map(interp, L["_node"])
        if act is None or act.op_type not in ("Relu", "Clip"):
            continue
        h = values[mp]
        if h.shape[2] * h.shape[3] > 1:
            cands.append((L, act, bns))
    L, act, bns = cands[len(cands) // 2]
    h = values[act.output[0]].detach()
    means = h.mean(dim=(2, 3)).min(dim=0).values
    best = float(means.max())
    if best <= 0:
        raise RuntimeError(f"{L['node']}: every channel of the target map is dead on some image")
    k = int(next(c for c in range(h.shape[1]) if float(means[c]) >= 0.25 * best))
    return L, act, bns, k, len(cands)


# ---------------------------------------------------------------------------- near ties

def activation_bends(interp, vals, n):
    """The pre-activation values where an activation node's branch changes (its kinks)."""
    t, a = n.op_type, interp.node_attrs(n)
    if t in ("Relu", "LeakyRelu"):
        return [0.0]
    if t == "HardSwish":
        return [-3.0, 3.0]
    if t == "HardSigmoid":
        alpha, beta = a.get("alpha", 0.2), a.get("beta", 0.5)
        if alpha == ot.F32_ONE_SIXTH:      # as the interpreter reads it
            alpha = 1.0 / 6.0
        return [-beta / alpha, (1.0 - beta) / alpha]
    if t == "Clip":
        if interp.opset >= 11:
            return [float(vals[i].reshape(-1)[0]) for i in n.input[1:3] if i]
        return [float(a[k]) for k in ("min", "max") if k in a]
    raise ValueError(t)


def bias_only(interp, vals, n):
    """Mask of an activation's pre-activation values that are exactly the bias of the Conv
    producing them (every input of their window is exactly 0: a dead channel under a depthwise
    conv), or None. float32 computes those exactly too (products 0, the float32 bias added to
    0), so their distance to a bend is no near tie, however small."""
    p = interp.producer.get(n.input[0])
    if p is None or p.op_type != "Conv":
        return None
    a = interp.node_attrs(p)
    x, w = vals[p.input[0]].detach(), vals[p.input[1]].detach()
    pb, pe = ot._spatial_pads(a.get("pads"), 2)
    nz = F.pad((x != 0).double(), [pb[1], pe[1], pb[0], pe[0]])
    cnt = F.conv2d(nz, torch.ones_like(w), None, tuple(a.get("strides", [1, 1])), 0,
                   tuple(a.get("dilations", [1, 1])), a.get("group", 1))
    return cnt == 0


def near_ties(interp, vals, delta):
    """Decisions that float32 may take differently from float64. Per activation node (Relu,
    Clip, LeakyRelu, HardSigmoid, HardSwish): the pre-activation values x with
    |x - bend| < delta * rms(x) for one of its bends (values that are exactly a Conv's bias,
    bias_only, are skipped). Per MaxPool: the windows whose max exceeds the largest value
    below it by less than delta * rms(input); padded cells are no values, windows whose max is
    exactly 0 are skipped, and so are cells exactly equal to the max (copies of one value, e.g.
    a max pool of a max pool: float32 has the same copies, and they route the gradient to the
    same place). Returns (count, smallest relative margin, its node name)."""
    count, best, at = 0, math.inf, None
    for n in interp.nodes:
        t = n.op_type
        if t not in TIE_OPS:
            continue
        x = vals[n.input[0]].detach()
        rms = float(x.pow(2).mean().sqrt())
        if rms == 0:
            raise RuntimeError(f"{n.name}: the input of {t} is all zero")
        if t == "MaxPool":
            xp, k, s, d, out, _ = ot._pool_prepare(x, interp.node_attrs(n), float("-inf"))
            N, C = xp.shape[:2]
            U = F.unfold(xp, tuple(k), dilation=tuple(d), stride=tuple(s)).view(N, C, k[0] * k[1], -1)
            top = U.amax(2, keepdim=True)
            below = U.masked_fill(U == top, float("-inf")).amax(2)
            top = top.squeeze(2)
            m = ((top - below) / rms)[top != 0]           # nothing below the max: inf
        else:
            m = torch.stack([(x - b).abs() for b in activation_bends(interp, vals, n)]).amin(0) / rms
            skip = bias_only(interp, vals, n)
            if skip is not None:
                m = m[~skip]
        if m.numel() == 0:
            continue
        count += int((m < delta).sum())
        mn = float(m.min())
        if mn < best:
            best, at = mn, n.name
    return count, best, at


def choose_input(spec, size, hw, interp):
    """The input batch and its `ties` record. Searched sizes (every `small`, the `full` of
    TIE_SEARCH_FULL): seeds seed0, seed0 + 1, ... until one has no near tie (near_ties at
    TIE_DELTA); if none of TIE_TRIES has, the one with the largest minMargin (the earliest of
    equals). Other sizes: seed0, its near ties counted."""
    seed0 = spec["seed"] * 100 + (1 if size == "full" else 2)
    search = size == "small" or spec["name"] in TIE_SEARCH_FULL
    best = None
    for i in range(TIE_TRIES if search else 1):
        seed = seed0 + i
        x32 = torch.randn(BATCH, 3, hw, hw, generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            vals = interp.run(x32.double())
        cnt, mn, at = near_ties(interp, vals, TIE_DELTA)
        if not math.isfinite(mn):
            raise RuntimeError(f"{spec['name']}/{size}: no decision to check")
        ties = {"delta": TIE_DELTA, "nearTies": cnt, "seed": seed, "tries": i + 1, "minMargin": mn, "at": at}
        if cnt == 0:
            return seed, x32, ties
        if best is None or mn > best[2]["minMargin"]:
            best = (seed, x32, ties)
    best[2]["tries"] = TIE_TRIES if search else 1
    return best


# ---------------------------------------------------------------------------- scores

def conv_edge_sums(x, w, g, attrs, rows=None):
    """Per edge (o, j) and image n: sum_p |a(n, p) g_n[o](p)| and sum_p a g, where a is the
    edge's pre-sum map (the kernel W[o, j] correlated with input channel g(o)*Cg + j), from
    unfolded patches in chunks. Returns ([Co, Cg, N], [Co, Cg, N], m). rows: the output
    channels to compute (others 0; used for ungrouped convs, where g of the others is 0)."""
    if rows is not None and attrs.get("group", 1) == 1 and len(rows) < w.shape[0]:
        idx = torch.as_tensor(rows, dtype=torch.long)
        a, b, m = conv_edge_sums(x, w[idx], g[:, idx], attrs)
        out_a = torch.zeros((w.shape[0],) + a.shape[1:], dtype=a.dtype)
        out_b = torch.zeros_like(out_a)
        out_a[idx], out_b[idx] = a, b
        others = torch.ones(w.shape[0], dtype=torch.bool)
        others[idx] = False
        if bool((g[:, others] != 0).any()):
            raise RuntimeError(f"a gradient reaches an output channel outside `rows` ({len(rows)} of {w.shape[0]})")
        return out_a, out_b, m
    N, cin = x.shape[:2]
    co, cg, kh, kw = w.shape
    G = attrs.get("group", 1)
    cog = co // G
    K = kh * kw
    pads = list(attrs.get("pads", [0, 0, 0, 0]))
    xp = F.pad(x, [pads[1], pads[3], pads[0], pads[2]])
    U = F.unfold(xp, (kh, kw), dilation=tuple(attrs.get("dilations", [1, 1])),
                 stride=tuple(attrs.get("strides", [1, 1])))
    Lp = U.shape[-1]
    if Lp != g.shape[2] * g.shape[3]:
        raise RuntimeError("unfolded positions differ from the conv output's")
    NL = N * Lp
    U = U.view(N, cin, K, Lp).permute(1, 2, 0, 3).reshape(cin, K, NL)        # b = g*Cg + j
    Wb = w.reshape(G, cog, cg, K).permute(0, 2, 1, 3).reshape(G * cg, cog, K)
    gg = g.reshape(N, G, cog, Lp).permute(1, 2, 0, 3).reshape(G, cog, NL)
    s_abs = torch.zeros(G * cg, cog, N, dtype=torch.float64)
    s_sum = torch.zeros_like(s_abs)
    oc = max(1, min(cog, CHUNK_ELEMENTS // NL))

    def run(b0, b1, o0, o1, gs):
        a = torch.bmm(Wb[b0:b1, o0:o1], U[b0:b1])
        a.mul_(gs)
        a = a.view(b1 - b0, o1 - o0, N, Lp)
        s_sum[b0:b1, o0:o1] = a.sum(-1)
        s_abs[b0:b1, o0:o1] = a.abs_().sum(-1)

    if cg == 1:
        bc = max(1, CHUNK_ELEMENTS // (oc * NL))
        for b0 in range(0, G, bc):
            b1 = min(G, b0 + bc)
            for o0 in range(0, cog, oc):
                o1 = min(cog, o0 + oc)
                run(b0, b1, o0, o1, gg[b0:b1, o0:o1])
    else:
        jc = max(1, CHUNK_ELEMENTS // (oc * NL))
        for grp in range(G):
            for o0 in range(0, cog, oc):
                o1 = min(cog, o0 + oc)
                gs = gg[grp, o0:o1].unsqueeze(0)
                for j0 in range(0, cg, jc):
                    j1 = min(cg, j0 + jc)
                    run(grp * cg + j0, grp * cg + j1, o0, o1, gs)

    def back(s):
        return s.view(G, cg, cog, N).permute(0, 2, 1, 3).reshape(co, cg, N)

    return back(s_abs), back(s_sum), Lp


def keep_count(n):
    return max(1, math.ceil(KEEP * n - KEEP_EPS))


def top_k(score, among, k):
    """0/1 over the flat edges: the k edges of `among` with the highest score, ties by lower
    index; and the k-th and (k+1)-th scores."""
    idx = np.nonzero(among)[0]
    order = idx[np.lexsort((idx, -score[idx]))]
    mask = np.zeros_like(score)
    mask[order[:k]] = 1
    nxt = score[order[k]] if k < len(order) else None
    return mask, float(score[order[k - 1]]), (None if nxt is None else float(nxt))


def check_cuts(interp, flow, vals, params, up, rel, cuts, target, k):
    """Runs the graph to check the channel walk. Zeroing every irrelevant kernel of the upstream
    convs leaves the target map unchanged. For each cut, with the kernels outside `before`
    zeroed: also zeroing the kept kernels whose output channel no longer reaches the target
    leaves it unchanged, and every other kernel the effective mask drops reads a channel that
    is the same on both images (no path from the input)."""
    x = vals[interp.inputs[0]].detach()

    def target_with(masks):
        p = {w: t.detach() for w, t in params.items()}
        for L in up:
            w = L["weight"]
            m = torch.as_tensor(masks[w], dtype=torch.float64)
            p[w] = p[w] * m.view(m.shape[0], m.shape[1], 1, 1)
        with torch.no_grad():
            v = interp.run(x, p, until=target)
        return v

    def same(a, b, what):
        scale = max(float(b.abs().max()), 1e-300)
        if float((a - b).abs().max()) > 1e-12 * scale:
            raise RuntimeError(f"channel-walk check failed: {what}")

    ref = vals[target].detach()[:, k]
    same(target_with(rel)[target][:, k], ref, "zeroing irrelevant kernels changed the target")
    n = 1
    for mode, c in cuts.items():
        before, after = c["before"], c["after"]
        if not any(v.any() for v in before.values()):
            continue
        vb = target_with(before)
        reach, _ = flow.back(target, [k], before)
        trimmed = {}
        for L in up:
            w, out = L["weight"], L["_node"].output[0]
            trimmed[w] = before[w] * reach[out][:, None]
        same(target_with(trimmed)[target][:, k], vb[target][:, k],
             f"{mode}: dropping kept kernels off every path changed the target")
        for L in up:
            w, nd = L["weight"], L["_node"]
            G = interp.node_attrs(nd).get("group", 1)
            co, cg = L["edgeShape"]
            for o, j in zip(*np.nonzero(trimmed[w] - after[w])):
                c2 = (o // (co // G)) * cg + j
                src = vb[nd.input[0]][:, c2]
                same(src[0], src[1], f"{mode}: {w} edge ({o}, {j}) dropped but reads an input-dependent map")
        n += 2
    return n


# ---------------------------------------------------------------------------- torchvision check

def torchvision_logits(model32, interp, layers, x64):
    """The torchvision model's own float64 logits, and those of the same model with the file's
    folded kernels: every Conv2d (in call order = the ONNX Conv order) followed by a
    BatchNorm2d that the file folded gets the file's weight and bias, that batchnorm becomes an
    identity. Also checks that every unfolded conv's weight is the file's, bit for bit."""
    m = copy.deepcopy(model32).double().eval()
    convs, pairs, last = [], {}, [None]

    def conv_hook(mod, inp, out):
        convs.append(mod)
        last[0] = (mod, out)

    def bn_hook(mod, inp):
        if last[0] is not None and inp[0] is last[0][1]:
            pairs[id(last[0][0])] = mod

    hooks = []
    for mod in m.modules():
        if isinstance(mod, nn.Conv2d):
            hooks.append(mod.register_forward_hook(conv_hook))
        elif isinstance(mod, nn.BatchNorm2d):
            hooks.append(mod.register_forward_pre_hook(bn_hook))
    with torch.no_grad():
        orig = m(x64)
    for h in hooks:
        h.remove()
    onnx_convs = [L for L in layers if L["op"] == "Conv"]
    if len(convs) != len(onnx_convs) or len({id(c) for c in convs}) != len(convs):
        raise RuntimeError(f"{len(convs)} Conv2d calls, {len(onnx_convs)} ONNX Conv nodes")
    bn_names = {id(mod): name for name, mod in m.named_modules()}
    parent = {}
    for name, mod in m.named_modules():
        for cname, child in mod.named_children():
            parent[id(child)] = (mod, cname)
    folded = 0
    max_fold_dev = 0.0
    for conv, L in zip(convs, onnx_convs):
        n = L["_node"]
        W = interp.inits[L["weight"]]
        if list(conv.weight.shape) != list(W.shape):
            raise RuntimeError(f"{L['node']}: weight shape {list(W.shape)} vs Conv2d {list(conv.weight.shape)}")
        cons = interp.consumers.get(n.output[0], [])
        bn = pairs.get(id(conv))
        if bn is not None and not (len(cons) == 1 and cons[0].op_type == "BatchNormalization"):
            s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
            ref = conv.weight.detach() * s.view(-1, 1, 1, 1)
            max_fold_dev = max(max_fold_dev, float((ref - W).abs().max() / ref.abs().max()))
            B = interp.resolve_init(n.input[2]) if len(n.input) > 2 else None
            with torch.no_grad():
                conv.weight.copy_(W)
                conv.bias = nn.Parameter(interp.inits[B].clone() if B else torch.zeros(W.shape[0], dtype=torch.float64))
            pm, cname = parent[id(bn)]
            pm._modules[cname] = nn.Identity()
            folded += 1
        else:
            if not torch.equal(conv.weight.detach(), W):
                raise RuntimeError(f"{L['node']}: weight differs from the Conv2d's ({bn_names[id(conv)]})")
    if max_fold_dev > 1e-6:
        raise RuntimeError(f"folded kernels deviate from W*s by {max_fold_dev:.3g} relative")
    if folded:
        with torch.no_grad():
            subst = m(x64)
    else:
        subst = orig
    return orig, subst, folded


# ---------------------------------------------------------------------------- one reference

def rel_diff(a, b):
    return float((a - b).abs().max() / max(float(b.abs().max()), 1e-300))


def reference(spec, size, hw, model_proto, onnx_bytes, onnx_file, model32):
    t0 = time.time()
    interp = ot.OnnxInterpreter(model_proto)
    seed, x32, ties = choose_input(spec, size, hw, interp)
    x = x32.double().requires_grad_(True)

    # Leaves: the weights of every kernel node.
    params = {w: interp.inits[w].clone().requires_grad_(True) for w in interp.kernel_weights()}
    vals = interp.run(x, params)
    logits = vals[interp.outputs[0]]
    layers = kernel_layers(interp, vals)

    # Shapes agree with onnx's shape inference.
    inferred = ot.inferred_shapes(model_proto)
    n_shapes = 0
    for name, shp in inferred.items():
        if name in vals and torch.is_tensor(vals[name]) and shp:
            got = list(vals[name].shape)
            if len(got) != len(shp) or any(s is not None and s != v for s, v in zip(shp, got)):
                raise RuntimeError(f"{name}: interpreter shape {got}, onnx shape inference {shp}")
            n_shapes += 1

    # The torchvision model's own float64 logits.
    orig, subst, folded = torchvision_logits(model32, interp, layers, x.detach())
    d_subst, d_orig = rel_diff(logits.detach(), subst), rel_diff(logits.detach(), orig)
    if d_subst > LOGIT_TOL:
        raise RuntimeError(f"{spec['name']}/{size}: interpreter logits differ from torchvision's by {d_subst:.3g}")
    if not folded and d_orig > LOGIT_TOL:
        raise RuntimeError(f"{spec['name']}/{size}: interpreter logits differ from torchvision's by {d_orig:.3g}")
    if d_orig > 1e-5:
        raise RuntimeError(f"{spec['name']}/{size}: batchnorm folding moved the logits by {d_orig:.3g}")

    # Logit target.
    T_per = logits[:, LOGIT_CLASS]
    names = [L["weight"] for L in layers]
    gl = torch.autograd.grad(T_per.sum(), [x] + [params[w] for w in names], retain_graph=True)
    grad_logit = dict(zip(["input"] + names, [g.detach() for g in gl]))

    # Node target.
    Lt, act, bns, k, n_cands = choose_target(interp, vals, layers)
    h_t = vals[act.output[0]]
    F_per = h_t[:, k].mean(dim=(1, 2))
    flow = ot.ChannelFlow(interp, vals, act.output[0])
    up_outs = set(flow.conv_outputs())
    up = [L for L in layers if L["op"] == "Conv" and L["_node"].output[0] in up_outs]
    if Lt not in up:
        raise RuntimeError("the target conv is not upstream of its own activation")
    maps = []
    for L in up:
        maps.append(L["nodeMap"])
    zs = [L["_node"].output[0] for L in up]
    wrt_names = list(dict.fromkeys(zs + maps))
    wrt = [x] + [params[L["weight"]] for L in up] + [vals[t] for t in wrt_names]
    gn = torch.autograd.grad(F_per.sum(), wrt, allow_unused=True)
    gn = [torch.zeros_like(v) if g is None else g.detach() for g, v in zip(gn, wrt)]
    grad_node = {"input": gn[0]}
    grad_node.update({L["weight"]: g for L, g in zip(up, gn[1:1 + len(up)])})
    grad_t = dict(zip(wrt_names, gn[1 + len(up):]))

    # Relevance (channel walk) and scores.
    _, rel_edges = flow.back(act.output[0], [k])
    scores, scores_mean, node_sc, rel = {}, {}, {}, {}
    max_cross = 0.0
    for L in up:
        n, w = L["_node"], L["weight"]
        W = interp.inits[w]
        rel[w] = rel_edges.get(w, np.zeros(L["edgeShape"]))
        s_abs, s_sum, m = conv_edge_sums(vals[n.input[0]].detach(), W, grad_t[n.output[0]],
                                         interp.node_attrs(n), rows=np.nonzero(rel[w].any(1))[0])
        scores[w] = s_abs.sum(-1) / (BATCH * m)
        scores_mean[w] = s_sum.abs().sum(-1) / (BATCH * m)
        # Cross-check: sum_n sum_p a g = sum_k W_k dF/dW_k (autograd).
        lhs = s_sum.sum(-1)
        rhs = (W * grad_node[w]).sum(dim=(2, 3))
        scale = max(float(lhs.abs().max()), float(rhs.abs().max()), 1e-300)
        err = float((lhs - rhs).abs().max()) / scale
        max_cross = max(max_cross, err)
        if err > CHECK_TOL:
            raise RuntimeError(f"{w}: pre-sum-map form vs weight-gradient form differ by {err:.3g}")
        hv, gh = vals[L["nodeMap"]].detach(), grad_t[L["nodeMap"]]
        node_sc[w] = (hv * gh).abs().sum(dim=(2, 3)).sum(0) / (BATCH * hv.shape[2] * hv.shape[3])
        sc = scores[w].numpy()
        if np.any(sc[rel[w] == 0] != 0):
            raise RuntimeError(f"{w}: an irrelevant edge has a non-zero score")

    # Kept sets.
    flat_s = np.concatenate([scores[L["weight"]].numpy().reshape(-1) for L in up])
    flat_r = np.concatenate([rel[L["weight"]].reshape(-1) for L in up])
    N = int(flat_r.sum())
    kk = keep_count(N)
    vr = flat_s[flat_r > 0]
    dead = bool(vr.size > 0 and vr.min() == vr.max())
    # Per-layer min-max normalization over relevant edges.
    flat_n = np.zeros_like(flat_s)
    off = 0
    for L in up:
        c = L["edgeShape"][0] * L["edgeShape"][1]
        sl = slice(off, off + c)
        off += c
        r = flat_r[sl] > 0
        if r.any():
            lo, hi = flat_s[sl][r].min(), flat_s[sl][r].max()
            flat_n[sl] = np.where(r, (flat_s[sl] - lo) / (hi - lo) if hi > lo else 1.0, 0.0)
    cuts = {}
    for mode, sc in (("global", flat_s), ("perLayer", flat_n)):
        if dead:
            before, gap = np.zeros_like(sc), None
        else:
            before, kth, nxt = top_k(sc, flat_r, kk)
            if nxt is None:
                gap = None
            elif mode == "global":
                gap = (kth - nxt) / kth if kth > 0 else 0.0
            else:
                gap = kth - nxt
        kept, off = {}, 0
        for L in up:
            c = L["edgeShape"][0] * L["edgeShape"][1]
            kept[L["weight"]] = before[off:off + c].reshape(L["edgeShape"])
            off += c
        after = flow.effective(act.output[0], [k], kept)
        cuts[mode] = dict(before=kept, after=after, gap=gap,
                          keptBefore=int(before.sum()), keptAfter=int(sum(v.sum() for v in after.values())))

    checked = check_cuts(interp, flow, vals, params, up, rel, cuts, act.output[0], k)

    # ---- the document and tensors
    tensors = [("input", x32.numpy()), ("logits", logits.detach().numpy())]
    tensors.append(("grad/logit/input", grad_logit["input"].numpy()))
    tensors += [(f"grad/logit/{w}", grad_logit[w].numpy()) for w in names]
    tensors.append(("grad/node/input", grad_node["input"].numpy()))
    tensors += [(f"grad/node/{L['weight']}", grad_node[L["weight"]].numpy()) for L in up]
    for L in up:
        tensors.append((f"circuit/relevant/{L['weight']}", rel[L["weight"]]))
    for L in up:
        tensors.append((f"circuit/actgrad/{L['weight']}", scores[L["weight"]].numpy()))
    for L in up:
        tensors.append((f"circuit/actgrad-mean/{L['weight']}", scores_mean[L["weight"]].numpy()))
    for L in up:
        tensors.append((f"circuit/nodes/actgrad/{L['weight']}", node_sc[L["weight"]].numpy()))
    for mode in ("global", "perLayer"):
        for part in ("before", "after"):
            for L in up:
                tensors.append((f"circuit/{mode}/{part}/{L['weight']}", cuts[mode][part][L["weight"]]))
    table, blobs, off = {}, [], 0
    for key, arr in tensors:
        if key in table:
            raise RuntimeError(f"duplicate tensor key {key}")
        b = np.ascontiguousarray(np.asarray(arr, dtype="<f4")).tobytes()
        table[key] = {"shape": list(np.asarray(arr).shape), "offset": off}
        blobs.append(b)
        off += len(b)

    up_names = {L["weight"] for L in up}
    lg = logits.detach()
    doc = {
        "format": FORMAT,
        "model": spec["name"],
        "size": size,
        "onnxFile": onnx_file,
        "onnxSha256": hashlib.sha256(onnx_bytes).hexdigest(),
        "irVersion": model_proto.ir_version,
        "opset": ot.opset_of(model_proto),
        "producer": f"{model_proto.producer_name} {model_proto.producer_version}",
        "ops": ot.op_histogram(model_proto),
        "dtype": "float32",
        "computedIn": "float64",
        "input": {"name": interp.inputs[0], "shape": list(x32.shape),
                  "seed": seed,
                  "definition": "torch.randn(2, 3, H, W, generator=torch.Generator().manual_seed(seed)), "
                                "float32, fed as is (already normalized)"},
        "ties": ties,
        "output": {"name": interp.outputs[0], "shape": list(lg.shape)},
        "logits": [[float(v) for v in row] for row in lg],
        "maxAbsLogit": float(lg.abs().max()),
        "targets": {
            "logit": {"kind": "classLogit", "class": LOGIT_CLASS, "value": float(T_per.sum()),
                      "perImage": [float(v) for v in T_per.detach()],
                      "definition": f"T = sum over the 2 images of logits[n, {LOGIT_CLASS}]"},
            "node": {"kind": "featureMean", "conv": Lt["node"], "convOutput": Lt["_node"].output[0],
                     "weight": Lt["weight"], "activation": act.name, "activationOp": act.op_type,
                     "activationOutput": act.output[0], "batchnorms": [b.name for b in bns],
                     "channel": k, "mapShape": list(h_t.shape[1:]), "value": float(F_per.sum()),
                     "perImage": [float(v) for v in F_per.detach()],
                     "candidates": n_cands,
                     "definition": "F = sum over the 2 images of the mean over (y, x) of "
                                   "activationOutput[n, channel, y, x] (the conv's map after its "
                                   "activation, docs/saliency.md convention 1); the middle of the "
                                   "`candidates` Conv nodes whose map is a Relu/Clip output with "
                                   "more than one position, its first channel whose smaller "
                                   "per-image mean is at least 1/4 of the best channel's"},
        },
        "kernelLayers": [dict({k2: v for k2, v in L.items() if k2 != "_node"}, upstream=L["weight"] in up_names)
                         for L in layers],
        "circuit": {
            "target": "node", "criterion": "actgrad", "d": BATCH, "keep": KEEP,
            "relevantEdges": N, "k": kk, "dead": dead,
            "layers": [L["weight"] for L in up],
            "global": {"keptBefore": cuts["global"]["keptBefore"], "keptAfter": cuts["global"]["keptAfter"],
                       "boundaryGap": cuts["global"]["gap"]},
            "perLayer": {"keptBefore": cuts["perLayer"]["keptBefore"], "keptAfter": cuts["perLayer"]["keptAfter"],
                         "boundaryGap": cuts["perLayer"]["gap"]},
            "definition": "Edges are the kernels of the upstream Conv weights ([Co, Cin/groups], entry "
                          "(o, j) from input channel g(o)*Cin/groups + j), numbered by kernelLayers "
                          "edgeOffset + o*Cin/groups + j. N = relevant edges (all conv: prunable); "
                          "k = max(1, ceil(0.1 N - 1e-9)). before: the k relevant edges with the highest "
                          "score (global: raw actgrad; perLayer: (s - min) / (max - min) over the layer's "
                          "relevant edges, 1 when max = min), ties to the lower edge number; none if "
                          "every relevant score is equal (dead). after: the effective mask, the edges of "
                          "before whose input channel is reached from the input and whose output channel "
                          "reaches the target through kept edges (activations, pooling, batchnorm, pad "
                          "pass channels; LRN its window; Concat offsets; Add/Mul join same-index "
                          "channels). boundaryGap: (s_k - s_k+1) / s_k (global), n_k - n_k+1 (perLayer).",
        },
        "checks": {
            "interpreterVsTorchvision": d_subst,
            "interpreterVsUnfoldedTorchvision": d_orig,
            "foldedBatchnorms": folded,
            "shapesCheckedAgainstOnnxInference": n_shapes,
            "preSumMapVsWeightGradient": max_cross,
            "relevanceAndEffectiveMaskRunChecks": checked,
        },
        "tensors": table,
    }
    stats = dict(seconds=time.time() - t0, ties=ties, target=f"{Lt['node']} -> {act.op_type} {act.output[0]} channel {k}",
                 upstream=len(up), N=N, k=kk, d_subst=d_subst, d_orig=d_orig, folded=folded,
                 scores=[scores[L["weight"]].numpy() for L in up])
    return doc, blobs, stats


# ---------------------------------------------------------------------------- driver

def write_atomic(path, data):
    """Writes bytes (or a list of byte strings, concatenated) to path via a temporary file."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        for part in (data if isinstance(data, list) else [data]):
            f.write(part)
    os.replace(tmp, path)


def json_bytes(doc):
    return (json.dumps(doc, indent=1, sort_keys=False) + "\n").encode()


def run_model(spec, out, force, stats_all):
    folder = os.path.join(out, spec["name"])
    os.makedirs(folder, exist_ok=True)
    sizes = spec["sizes"]
    info_path = os.path.join(folder, "export.json")
    files = [info_path, os.path.join(folder, "model.onnx")]
    if os.path.exists(info_path) and not force:
        with open(info_path, encoding="utf-8") as f:
            info = json.load(f)
        files += [os.path.join(folder, f) for s in info["sizes"] for f in (info["files"][s], s + ".json", s + ".bin")]
        if all(os.path.exists(p) for p in files):
            print(f"{spec['name']}: up to date", flush=True)
            return
    t0 = time.time()
    model = build(spec)
    info = {"model": spec["name"], "builder": "torchvision.models." + spec["builder"] if spec["builder"] != "zoo-ops"
            else "onnx_fixtures.ZooOps", "kwargs": dict(weights=None, **spec["kwargs"]) if spec["builder"] != "zoo-ops" else {},
            "seed": spec["seed"], "batchnormSeed": spec["seed"] + 5000,
            "batchnormStats": "running stats of a seeded calibration batch, then var *= U(0.5, 2), "
                              "mean += 0.3 sqrt(var) z, weight ~ U(0.5, 1.5), bias ~ 0.2 z (seeded)",
            "opset": spec["opset"], "keepBatchnorm": spec["keep_bn"],
            "export": "torch.onnx.export, do_constant_folding=True, batch axis dynamic, input 'input', "
                      "output 'logits'" + (", training=TrainingMode.PRESERVE (model in eval mode): "
                                            "BatchNormalization nodes kept" if spec["keep_bn"] else
                                            ", TrainingMode.EVAL: a batchnorm right after a conv is fused into it"),
            "inputSizes": sizes, "sizes": [], "sizesSkipped": {}, "files": {}}
    if spec["builder"] == "zoo-ops":
        info["postprocess"] = ("the constant pads arithmetic torch.onnx leaves behind F.pad / ZeroPad2d "
                               "(ConstantOfShape, Concat, Reshape, Slice, Transpose, Reshape, Cast on "
                               "constants) folded into int64 initializers; an Identity node inserted after "
                               "the Sigmoid and a Dropout node (ratio input 'drop.ratio') before the Gemm")
    for size, hw in sizes.items():
        fname = "model.onnx" if size == "full" else f"{size}.onnx"
        opath = os.path.join(folder, fname)
        te = time.time()
        try:
            if os.path.exists(opath) and not force:
                with open(opath, "rb") as f:
                    ob = f.read()
                mp = onnx.load_from_string(ob)
            else:
                mp, _ = export(model, spec, hw)
                ob = mp.SerializeToString()
                write_atomic(opath, ob)
        except Exception as e:  # noqa: BLE001 - the reason is recorded
            if size == "full":
                raise
            reason = str(e).strip().split("\n")[0][:300]
            info["sizesSkipped"][size] = f"{hw}x{hw}: export failed: {reason}"
            print(f"{spec['name']}/{size} ({hw}x{hw}): skipped: {reason}", flush=True)
            continue
        t_export = time.time() - te
        info["sizes"].append(size)
        info["files"][size] = fname
        if size == "full":
            info.update(irVersion=mp.ir_version, opsetImport=ot.opset_of(mp),
                        producer=f"{mp.producer_name} {mp.producer_version}", ops=ot.op_histogram(mp))
        jpath, bpath = os.path.join(folder, size + ".json"), os.path.join(folder, size + ".bin")
        if os.path.exists(jpath) and os.path.exists(bpath) and not force:
            print(f"{spec['name']}/{size}: reference exists", flush=True)
            continue
        doc, blobs, st = reference(spec, size, hw, mp, ob, fname, model)
        write_atomic(bpath, blobs)
        write_atomic(jpath, json_bytes(doc))
        st["export_s"] = t_export
        stats_all[(spec["name"], size)] = st
        print(f"{spec['name']}/{size} ({hw}x{hw}): IR {mp.ir_version}, opset {ot.opset_of(mp)}; "
              f"ops {ot.op_histogram(mp)}", flush=True)
        print(f"  target {st['target']}; {st['upstream']} upstream convs, N = {st['N']}, k = {st['k']}; "
              f"vs torchvision {st['d_subst']:.2e} (unfolded {st['d_orig']:.2e}, {st['folded']} folded BN); "
              f"onnx {len(ob) / 1e6:.1f} MB, bin {sum(map(len, blobs)) / 1e6:.1f} MB; "
              f"export {t_export:.1f} s, reference {st['seconds']:.1f} s", flush=True)
        tt = st["ties"]
        print(f"  input seed {tt['seed']} ({tt['tries']} tried): {tt['nearTies']} near ties at {tt['delta']:g}, "
              f"min margin {tt['minMargin']:.2e} at {tt['at']}", flush=True)
    write_atomic(info_path, json_bytes(info))
    print(f"{spec['name']}: {time.time() - t0:.1f} s", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--force", action="store_true", help="rewrite files that exist")
    ap.add_argument("--models", default="", help="comma-separated subset of: " + ", ".join(s["name"] for s in SPECS))
    args = ap.parse_args()
    # One thread: float sums (the calibration batch's statistics, BLAS reductions) depend on
    # the thread count, and the files must not.
    torch.set_num_threads(1)
    want = [m for m in args.models.split(",") if m]
    unknown = set(want) - {s["name"] for s in SPECS}
    if unknown:
        ap.error(f"unknown models: {sorted(unknown)}")
    t0 = time.time()
    stats = {}
    for spec in SPECS:
        if want and spec["name"] not in want:
            continue
        run_model(spec, args.out, args.force, stats)
    # resnet18 and resnet18-bn are the same network: actgrad does not change under batchnorm
    # folding, so their scores agree to the float32 rounding of the folded kernels.
    for size in ("full", "small"):
        a, b = stats.get(("resnet18", size)), stats.get(("resnet18-bn", size))
        if a and b:
            if len(a["scores"]) != len(b["scores"]):
                raise RuntimeError("resnet18 and resnet18-bn have different upstream convs")
            dev = max(float(np.abs(s1 - s2).max() / np.abs(s2).max()) for s1, s2 in zip(a["scores"], b["scores"]))
            print(f"resnet18 vs resnet18-bn ({size}): actgrad scores agree to {dev:.2e} relative", flush=True)
            if dev > 1e-4:
                raise RuntimeError("resnet18 and resnet18-bn scores differ")
    print(f"total {time.time() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main()
