# Writes the saliency golden fixtures (tests/fixtures/<case>/saliency.json + saliency.bin): edge
# and node scores, FORCE scores and masks, top-fraction cuts before and after the effective mask,
# and preservation, for the criteria and conventions of docs/saliency.md, computed in float64
# with every kernel's pre-sum map made explicit. Deterministic; --check compares.
"""Usage: OMP_NUM_THREADS=1 /usr/bin/python3 tools/python/saliency_fixtures.py [--out DIR] [--check]

Reads tests/fixtures/<case>/model.json + weights.bin (written by make_fixtures.py), draws a
seeded held-out batch and seeded scoring batches until every top-k decision is clear of
near-ties, and writes saliency.json + saliency.bin next to them (each case is computed twice
and must give the same bytes). --check recomputes and compares with the files on disk.

Conventions (docs/saliency.md, "Conventions"): a node target reads the filter's map after its
activation (the relu layer), ':pre' the layer itself; only conv kernels are pruned unless
linear=1 (linear edges stay whole, kept at 1); k = ceil(keep*N - 1e-9) >= 1 over the N relevant
prunable edges, for cuts and every FORCE step; weight-criterion node scores are the mean of the
node's incoming kernel scores; a dead target gives an empty cut; preservation flags a circuit
whose values are constant to float32 noise as collapsed (r = 0).
"""

import argparse
import copy
import hashlib
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcnet  # noqa: E402
import make_fixtures as mf  # noqa: E402

FORMAT = "cnn-microscope-saliency/2"
REPO = mf.REPO
MAX_BIN_BYTES = 400_000
D_SCORING = 4
N_HELDOUT = 6
FORCE_T = 10
FORCE_KEEPS = (0.1, 0.3)
LINEAR_MODES = (0, 1)          # linear=0: only conv kernels are pruned; linear=1: linear ones too
CUT_CRITERION = "actgrad"
CUT_KEEP = 0.3
PRESERVE_LINEAR = 0            # the circuit whose preservation is stored
EDGE_CRITERIA = ("actgrad", "actgrad-mean", "snip", "magnitude")
WEIGHT_CRITERIA = ("snip", "magnitude")   # node score = mean of the incoming kernel scores (and force)
KEEP_EPS = 1e-9                # ceil(x - 1e-9): 0.1 * 30 = 3.0000000000000004 keeps 3
COLLAPSE_REL = 1e-6            # std <= 1e-6 * max(1e-30, mean |v|): constant to float32 noise
TOL = 1e-10
# How clear every top-k decision must be for a float32 engine to make the same one (its scores
# agree with these to ~1e-6 relative). With 4 targets x (2 cuts + up to 4 FORCE runs x 10 steps)
# decisions per case, 1e-3 (version 1) is out of reach; with these about 1 scoring batch in 6
# passes the top-k checks, and MASKED_MARGIN then leaves alexnet-mini 1 in about 400.
MIN_REL_GAP = 2e-4   # smallest (k-th - (k+1)-th) / k-th score at any FORCE top-k boundary
MIN_CUT_ROBUSTNESS = 1e-4  # smallest relative change of the raw scores that could alter a cut (~ a 2e-4 gap)
MIN_KT_DISTANCE = 1e-11    # smallest |raw k_t - 1e-9 - integer| (a ceil a float64 ulp could flip)
# In FORCE's masked networks, where a gradient passes: |pre-ReLU| and non-zero max-pool top-2
# gaps at least this (about 16 float32 ulps of the O(1) values there; see masked_margins).
MASKED_MARGIN = 2e-6
MAX_SEARCH = 1000

CASES = {
    "alexnet-mini": dict(seed=3001, targets=[
        {"id": "node", "query": "node:conv2:3", "kind": "featureMean", "layer": "relu2", "channel": 3},
        {"id": "node-pre", "query": "node:conv2:3:pre", "kind": "featureMean", "layer": "conv2", "channel": 3},
        # Class 0, not 1 (version 1): FORCE at keep 0.1 with linear edges kept prunes conv1 to
        # bias-only maps, and for class 1 nearly every batch then has max-pool windows tied
        # below float32 resolution in a gradient path (1 in 30 batches clear, class 0: 11 in 30).
        {"id": "logit", "query": "logit:0", "kind": "classLogit", "class": 0},
        {"id": "loss", "query": "loss", "kind": "loss"},
    ]),
    "branchnet": dict(seed=3002, targets=[
        {"id": "node", "query": "node:res_conv1:5", "kind": "featureMean", "layer": "res_relu", "channel": 5},
        {"id": "node-pre", "query": "node:res_conv1:5:pre", "kind": "featureMean", "layer": "res_conv1", "channel": 5},
        {"id": "logit", "query": "logit:1", "kind": "classLogit", "class": 1},
        {"id": "loss", "query": "loss", "kind": "loss"},
    ]),
}


NOTES = [
    "<id>/edges/<criterion>/<layer> is [Co, Cin/groups]: entry (o, j) is the edge from input channel "
    "g(o)*Cin/groups + j into output channel o. A linear layer fed by a flattened [C, H, W] map "
    "(inputMap) has one edge per (o, c) covering W[o, c*H*W:(c+1)*H*W], K = H*W. Global edge order "
    "(ties): the layers in `layers` order, each row-major.",
    "Targets: a node target `node:L:c` reads the filter's map after its activation, i.e. a featureMean "
    "on the relu that is L's sole consumer (target id `node`); `node:L:c:pre` reads L itself (id "
    "`node-pre`). `query` is the target in the microscope's URL syntax.",
    "A batchnorm after a conv that feeds nothing else is folded into the conv (foldedBatchnorm): "
    "magnitude uses the folded kernel W*s, and the folded conv's node map is the relu after the "
    "batchnorm. actgrad, actgrad-mean and snip do not change under folding.",
    "Relevance is per channel: an edge is relevant when its output channel has a path to the "
    "target's channels; in the target layer only the target channel / class row, or every row for loss. "
    "Edge and node scores of irrelevant edges and nodes are 0.",
    "Node scores: actgrad / actgrad-mean from the node map (nodeMap) and dF/d(node map); snip, magnitude "
    "and force: the mean of the node's incoming edge scores (sum over the row / Cin/groups). "
    "actgrad / actgrad-mean node scores of a `:pre` target's own layer are 0 where its node map is the "
    "following relu: the target reads the layer output, so dF/d(relu output) = 0.",
    "Prunable edges: with linear=0 only conv2d edges (linear edges are never removed: kept at 1 in the "
    "FORCE forward, in every mask and in the circuit); with linear=1 linear edges too. Keep counts "
    "k = max(1, ceil(keep*N - 1e-9)) over the N relevant prunable edges, also every FORCE k_t.",
    "FORCE: forward and backward with W*mask (non-prunable and irrelevant edges unmasked), "
    "G = dF_n/d(masked weight), abs(W G) with the unmasked W; step t keeps the top k_t prunable "
    "edges. force/.../mask = top k of the relevant prunable edges by the final scores plus every "
    "relevant non-prunable edge; irrelevant edges 0. relBoundaryGap values are "
    "(k-th - (k+1)-th) / k-th prunable score at a top-k cut; the scoring batch was drawn until all "
    "are at least stats.minRelTopKGapBound, and until every masked network of a FORCE step has, "
    "wherever some image's gradient passes, |pre-ReLU| >= 2e-6 and max-pool top-2 gaps >= 2e-6 or "
    "exactly 0 (maskedMinAbsPreRelu, maskedMinMaxPoolGap).",
    "Cut (cut/actgrad/0.3/linear<L>): actgrad scores min-max normalized per layer over the layer's "
    "relevant edges ((s - min) / (max - min); 1 when max = min), the top k of the relevant prunable "
    "edges by that value (ties: lower global edge index), plus every relevant non-prunable edge = "
    "`before`; `after` keeps the edges of `before` whose input channel is reached from the input "
    "through kept edges and whose output channel reaches the target through kept edges (pooling, "
    "relu, lrn windows, concat, add, flatten pass channels). A dead target (every relevant score "
    "equal) gives an empty cut. robustness: a lower bound on the relative change of the raw scores "
    "(each by up to robustness * itself) that could change `before` (exact ties at normalized 1 or 0 broken by index).",
    "Preservation: Pearson r over the held-out values (featureMean: the target channel of the "
    "target layer, flattened n, y, x; classLogit: the logit per image; loss: the cross-entropy per "
    "image against heldoutLabels), then mean |circuit - original| / std(original) with the "
    "population std. collapsed: the circuit's values (the whole flattened series) have "
    "std <= 1e-6 * max(1e-30, mean |v|) (constant to float32 noise), and then r = 0. The circuit "
    "(cut/.../linear0/after) zeroes every weight of every edge not in it (irrelevant edges "
    "included), biases kept.",
]


def keep_count(keep, n):
    """k = ceil(keep * n) (float noise ignored), at least 1: the pruning paper's rule."""
    return max(1, math.ceil(keep * n - KEEP_EPS))


class NearTie(Exception):
    """A top-k decision of this scoring batch is too close to call in float32."""


# ---------------------------------------------------------------------------- the graph

class Dissected:
    """A float64 interpreter of a McNet whose conv2d/linear layers produce every pre-sum map.

    A batchnorm that directly follows a conv2d feeding nothing else is folded into that conv
    (as the engine does, docs/model-format.md): the conv keeps its name, its kernel becomes
    W*s and its bias (b - mean)*s + beta with s = gamma / sqrt(var + eps); the batchnorm node
    then passes the conv's output through.
    """

    def __init__(self, net32, model_doc):
        self.net = copy.deepcopy(net32).double().eval()
        self.layers = self.net.layers
        self.by_name = {l["name"]: l for l in self.layers}
        self.input_name = self.net.input_name
        self.output = self.net.output
        self.shapes = self.net.shapes
        file_order = [l["name"] for l in model_doc["layers"]]
        consumers = {n: [] for n in [self.input_name] + file_order}
        for l in self.layers:
            for i in l["inputs"]:
                consumers[i].append(l["name"])
        self.consumers = consumers

        # Batchnorm folding.
        self.folded_bn = {}  # bn name -> conv name
        for l in self.layers:
            if (l["op"] == "batchnorm" and self.by_name.get(l["inputs"][0], {}).get("op") == "conv2d"
                    and consumers[l["inputs"][0]] == [l["name"]]):
                self.folded_bn[l["name"]] = l["inputs"][0]
        self.weights, self.biases, self.fold_scale = {}, {}, {}
        with torch.no_grad():
            for l in self.layers:
                if l["op"] not in ("conv2d", "linear"):
                    continue
                m = self.net.mods[mcnet.module_key(l["name"])]
                w = m.weight.detach().clone()
                b = m.bias.detach().clone() if m.bias is not None else torch.zeros(w.shape[0], dtype=torch.float64)
                self.weights[l["name"]], self.biases[l["name"]] = w, b
            for bn, conv in self.folded_bn.items():
                m = self.net.mods[mcnet.module_key(bn)]
                s = m.weight / torch.sqrt(m.running_var + m.eps)
                self.fold_scale[conv] = s
                self.weights[conv] = self.weights[conv] * s.view(-1, 1, 1, 1)
                self.biases[conv] = (self.biases[conv] - m.running_mean) * s + m.bias

        # Scored layers in model.json order, with their edge layout.
        self.scored = []
        for name in file_order:
            l = self.by_name[name]
            if l["op"] not in ("conv2d", "linear"):
                continue
            w = self.weights[name]
            info = {"name": name, "op": l["op"]}
            if l["op"] == "conv2d":
                co, cg, kh, kw = w.shape
                info.update(groups=l["attrs"]["groups"], inChannels=self.shapes[l["inputs"][0]][0],
                            edgeShape=[co, cg], K=kh * kw)
            else:
                o, f = w.shape
                src = self._map_shape(l["inputs"][0])
                if src is None:
                    info.update(groups=1, inChannels=f, edgeShape=[o, f], K=1, inputMap=None)
                else:
                    c, h, ww = src
                    info.update(groups=1, inChannels=c, edgeShape=[o, c], K=h * ww, inputMap=[c, h, ww])
            info["nodeMap"] = self._node_map(name)
            if name in self.folded_bn.values():
                info["foldedBatchnorm"] = next(b for b, c in self.folded_bn.items() if c == name)
            self.scored.append(info)
        self.scored_names = [s["name"] for s in self.scored]

    def _effective_consumers(self, name):
        out = []
        for c in self.consumers[name]:
            out += self._effective_consumers(c) if c in self.folded_bn else [c]
        return out

    def _node_map(self, name):
        cons = self._effective_consumers(name)
        if len(cons) == 1 and self.by_name[cons[0]]["op"] == "relu":
            return cons[0]
        return name

    def _map_shape(self, node):
        """[C, H, W] of the map a linear layer reads through flatten (and dropout), else None."""
        while True:
            if len(self.shapes[node]) == 3:
                return list(self.shapes[node])
            if node == self.input_name:
                return None
            l = self.by_name[node]
            if l["op"] == "flatten":
                s = self.shapes[l["inputs"][0]]
                return list(s) if len(s) == 3 else None
            if l["op"] != "dropout":
                return None
            node = l["inputs"][0]

    def upstream_of(self, target_layer):
        """Names of the nodes with a path to target_layer (target_layer excluded)."""
        up, stack = set(), [target_layer]
        while stack:
            n = stack.pop()
            if n == self.input_name:
                continue
            for i in self.by_name[n]["inputs"]:
                if i not in up:
                    up.add(i)
                    stack.append(i)
        return up

    # -- forward through the dissected layers

    def conv_maps(self, x, w, attrs):
        """Every pre-sum map a[n, o, j, y, x] of a conv, from a grouped conv with groups = Cin."""
        n, cin = x.shape[:2]
        co, cg = w.shape[:2]
        g = attrs["groups"]
        cog = co // g
        rows = torch.arange(cin * cog)
        # Output r = i*cog + ol of the depthwise conv is the map of edge (o = grp(i)*cog + ol, j = i % cg).
        o_of = (rows // cog // cg) * cog + rows % cog
        j_of = (rows // cog) % cg
        wd = w[o_of, j_of].unsqueeze(1)
        y = F.conv2d(x, wd, None, attrs["stride"], attrs["padding"], attrs["dilation"], cin)
        y = y.view(n, cin, cog, *y.shape[2:])
        oo = torch.arange(co).view(-1, 1).expand(co, cg)
        jj = torch.arange(cg).view(1, -1).expand(co, cg)
        i_idx = (oo // cog) * cg + jj
        ol_idx = oo % cog
        return y[:, i_idx, ol_idx]  # [n, co, cg, ho, wo]

    def linear_maps(self, x, w, info):
        o = w.shape[0]
        c, k = info["edgeShape"][1], info["K"]
        xv = torch.flatten(x, 1).view(x.shape[0], c, k)
        return torch.einsum("ock,nck->noc", w.view(o, c, k), xv)  # [n, o, c]

    def forward(self, x, weights):
        """All node values, the pre-sum maps and the pre-activations z of the scored layers."""
        vals, maps = {self.input_name: x}, {}
        infos = {s["name"]: s for s in self.scored}
        for l in self.layers:
            name, op = l["name"], l["op"]
            if name in self.folded_bn:
                vals[name] = vals[l["inputs"][0]]
                continue
            xin = vals[l["inputs"][0]]
            if op == "conv2d":
                a = self.conv_maps(xin, weights[name], l["attrs"])
                maps[name] = a
                vals[name] = a.sum(2) + self.biases[name].view(1, -1, 1, 1)
            elif op == "linear":
                a = self.linear_maps(xin, weights[name], infos[name])
                maps[name] = a
                vals[name] = a.sum(2) + self.biases[name].view(1, -1)
            else:
                vals[name] = self.net._run_layer(l, [vals[i] for i in l["inputs"]])
        return vals, maps

    def unfolded_patches(self, x, info):
        """X[n, o, j, k, p]: the input values under tap k of edge (o, j) at output position p."""
        l = self.by_name[info["name"]]
        if info["op"] == "linear":
            c, k = info["edgeShape"][1], info["K"]
            xv = torch.flatten(x, 1).view(x.shape[0], 1, c, k, 1)
            return xv.expand(x.shape[0], info["edgeShape"][0], c, k, 1)
        a = l["attrs"]
        w = self.weights[info["name"]]
        co, cg, kh, kw = w.shape
        u = F.unfold(x, (kh, kw), dilation=a["dilation"], padding=a["padding"], stride=a["stride"])
        n = x.shape[0]
        u = u.view(n, x.shape[1], kh * kw, -1)
        cog = co // a["groups"]
        i_idx = (torch.arange(co).view(-1, 1) // cog) * cg + torch.arange(cg).view(1, -1)
        return u[:, i_idx]  # [n, co, cg, K, L]


# ---------------------------------------------------------------------------- targets

def per_image_value(t, vals, output, labels):
    return mf.per_image_value(t, vals, vals[output], labels)


def target_layer(t, output):
    return t["layer"] if "layer" in t else output


def relevance(net, t):
    """Per scored layer, a 0/1 [Co, Cin/groups] array of the edges relevant to target t:
    channel level, walking back from the target's channels through each op's channel
    dependencies; every edge into a reached output channel lies on a path to the target."""
    tl = target_layer(t, net.output)
    nch = lambda n: net.shapes[n][0]
    if t["kind"] == "loss":
        start = set(range(nch(tl)))
    elif t["kind"] in ("classLogit", "classProbability"):
        start = {t["class"]}
    elif t["kind"] == "direction":
        start = {c for c, w in enumerate(t["weights"]) if w != 0}
    else:
        start = {t["channel"]}
    reach = {tl: set(start)}
    add = lambda node, chs: reach.setdefault(node, set()).update(chs)
    rel = {s["name"]: np.zeros(s["edgeShape"]) for s in net.scored}
    for l in reversed(net.layers):
        n, op, ins = l["name"], l["op"], l["inputs"]
        S = reach.get(n)
        if not S:
            continue
        if op == "conv2d":
            g = l["attrs"]["groups"]
            cog, cg = nch(n) // g, nch(ins[0]) // g
            for o in S:
                rel[n][o, :] = 1
                grp = o // cog
                add(ins[0], range(grp * cg, (grp + 1) * cg))
        elif op == "linear":
            for o in S:
                rel[n][o, :] = 1
            add(ins[0], range(nch(ins[0])))
        elif op in ("relu", "maxpool", "avgpool", "adaptiveavgpool", "batchnorm", "dropout"):
            add(ins[0], S)
        elif op == "lrn":
            size, C = l["attrs"]["size"], nch(n)
            for c in S:
                add(ins[0], range(max(0, c - size // 2), min(C - 1, c + (size - 1) // 2) + 1))
        elif op == "concat":
            off = 0
            for i in ins:
                k = nch(i)
                add(i, {c - off for c in S if off <= c < off + k})
                off += k
        elif op == "add":
            for i in ins:
                add(i, S)
        elif op == "flatten":
            shp = net.shapes[ins[0]]
            plane = shp[1] * shp[2] if len(shp) == 3 else 1
            add(ins[0], {f // plane for f in S})
        else:
            add(ins[0], range(nch(ins[0])))
    return rel


def start_channels(net, t):
    """The channels of the target layer the target reads (runs / features for a flat layer)."""
    tl = target_layer(t, net.output)
    if t["kind"] == "loss":
        return tl, list(range(net.shapes[tl][0]))
    if t["kind"] in ("classLogit", "classProbability"):
        return tl, [t["class"]]
    if t["kind"] == "direction":
        return tl, [c for c, w in enumerate(t["weights"]) if w != 0]
    return tl, [t["channel"]]


class ChannelFlow:
    """Per node, its channels and what each depends on: channels of a map, runs (one per map
    channel) of a flattened map, features of a flat vector. deps[node][c] lists (source node,
    source channel, edge) with edge = (kernel layer, o, j) for a kernel, None for a pass-through
    (pooling, relu, batchnorm, dropout, flatten: the same channel; lrn: its window; concat:
    offset; add: the same channel of every addend). Written apart from relevance() on purpose:
    a walk with every edge allowed must give relevance() exactly (checked)."""

    def __init__(self, net):
        self.net = net
        shape = {s["name"]: s["edgeShape"] for s in net.scored}
        cols = {k: v[1] for k, v in shape.items()}
        nch = {net.input_name: net.shapes[net.input_name][0]}
        deps = {net.input_name: [[] for _ in range(nch[net.input_name])]}
        for l in net.layers:
            n, op, ins = l["name"], l["op"], l["inputs"]
            if op == "conv2d":
                co, cg = shape[n]
                cog = co // l["attrs"]["groups"]
                if nch[ins[0]] != cg * l["attrs"]["groups"]:
                    raise RuntimeError(f"{n}: input channels do not match the weight")
                d = [[(ins[0], (o // cog) * cg + j, (n, o, j)) for j in range(cg)] for o in range(co)]
            elif op == "linear":
                o_n = net.shapes[n][0]
                if nch[ins[0]] != cols[n]:
                    raise RuntimeError(f"{n}: {nch[ins[0]]} input runs, {cols[n]} edge columns")
                d = [[(ins[0], j, (n, o, j)) for j in range(cols[n])] for o in range(o_n)]
            elif op in ("relu", "maxpool", "avgpool", "adaptiveavgpool", "batchnorm", "dropout", "flatten"):
                d = [[(ins[0], c, None)] for c in range(nch[ins[0]])]
            elif op == "lrn":
                size, C = l["attrs"]["size"], nch[ins[0]]
                d = [[(ins[0], c2, None) for c2 in range(max(0, c - size // 2), min(C - 1, c + (size - 1) // 2) + 1)]
                     for c in range(C)]
            elif op == "concat":
                d = []
                for i in ins:
                    d += [[(i, c, None)] for c in range(nch[i])]
            elif op == "add":
                d = [[(i, c, None) for i in ins] for c in range(nch[ins[0]])]
            else:
                raise RuntimeError(f"no channel flow for op {op!r}")
            nch[n], deps[n] = len(d), d
        self.nch, self.deps = nch, deps

    def _allowed(self, e, kept):
        return e is None or kept is None or kept[e[0]][e[1], e[2]] > 0

    def back(self, t, kept=None):
        """Channels that reach the target through allowed edges, and those edges (per layer 0/1)."""
        net = self.net
        tl, chs = start_channels(net, t)
        reach = {n: np.zeros(c, bool) for n, c in self.nch.items()}
        reach[tl][chs] = True
        edges = {s["name"]: np.zeros(s["edgeShape"]) for s in net.scored}
        for l in reversed(net.layers):
            n = l["name"]
            for c in np.nonzero(reach[n])[0]:
                for src, c2, e in self.deps[n][c]:
                    if not self._allowed(e, kept):
                        continue
                    if e is not None:
                        edges[e[0]][e[1], e[2]] = 1
                    reach[src][c2] = True
        return reach, edges

    def forward(self, kept):
        """Channels reached from the input (every input channel) through kept edges."""
        net = self.net
        reach = {net.input_name: np.ones(self.nch[net.input_name], bool)}
        for l in net.layers:
            n = l["name"]
            reach[n] = np.array([any(reach[src][c2] and self._allowed(e, kept) for src, c2, e in dl)
                                 for dl in self.deps[n]], bool)
        return reach

    def effective(self, t, kept):
        """Kept edges on a path of kept edges from the input to the target."""
        fwd = self.forward(kept)
        _, back_edges = self.back(t, kept)
        out = {}
        for s in self.net.scored:
            n = s["name"]
            co, cg = s["edgeShape"]
            m = np.zeros((co, cg))
            for o in range(co):
                for src, c2, e in self.deps[n][o]:
                    if kept[n][o, e[2]] > 0 and back_edges[n][o, e[2]] > 0 and fwd[src][c2]:
                        m[o, e[2]] = 1
            out[n] = m
        return out


# ---------------------------------------------------------------------------- scores

def per_image_pass(net, x, t, labels, weights):
    """Per image n (autograd one image at a time): maps a, g = dF_n/dz, G_n = dF_n/dW_used,
    h and dF_n/dh. weights are the tensors used in the forward (leaves)."""
    out = []
    names = net.scored_names
    for n in range(x.shape[0]):
        leaves = {k: w.detach().clone().requires_grad_(True) for k, w in weights.items()}
        xn = x[n:n + 1]
        vals, maps = net.forward(xn, leaves)
        f = per_image_value(t, vals, net.output, labels[n:n + 1]).sum()
        zs = [vals[k] for k in names]
        hmaps = [s["nodeMap"] for s in net.scored]
        hs = [vals[h] for h in hmaps]
        grads = torch.autograd.grad(f, [leaves[k] for k in names] + zs + hs, allow_unused=True)
        L = len(names)
        rec = {}
        for i, k in enumerate(names):
            def z(g, like):
                return torch.zeros_like(like) if g is None else g
            rec[k] = dict(a=maps[k][0].detach(), g=z(grads[L + i], zs[i])[0].detach(),
                          G=z(grads[i], leaves[k]).detach(), x=vals[net.by_name[k]["inputs"][0]].detach(),
                          h=hs[i][0].detach(), gh=z(grads[2 * L + i], hs[i])[0].detach())
        out.append(rec)
    return out


def edge_scores(net, recs, w_abs_source, check=True):
    """actgrad, actgrad-mean, snip (divided by d) per scored layer, plus cross-checks."""
    d = len(recs)
    res = {c: {} for c in ("actgrad", "actgrad-mean", "snip")}
    for s in net.scored:
        k, K = s["name"], s["K"]
        co, cg = s["edgeShape"]
        W = w_abs_source[k].view(co, cg, K)
        acc = {c: torch.zeros(co, cg, dtype=torch.float64) for c in res}
        for rec in recs:
            r = rec[k]
            a, g = r["a"], r["g"]
            if s["op"] == "conv2d":
                prod = a * g.unsqueeze(1)                      # [co, cg, ho, wo]
                prod = prod.reshape(co, cg, -1)
            else:
                prod = (a * g.unsqueeze(1)).unsqueeze(-1)      # [o, c, 1]
            m = prod.shape[-1]
            G = r["G"].view(co, cg, K)
            acc["actgrad"] += prod.abs().sum(-1) / m
            acc["actgrad-mean"] += (prod.sum(-1) / m).abs()
            acc["snip"] += (W * G).abs().sum(-1) / K
            if check:
                # 1/m sum_k W G (weight gradient form) vs 1/m sum_p a g (dissected form); the
                # weight here is the one used in the forward.
                Wf = r["Wused"].view(co, cg, K)
                lhs = (Wf * G).sum(-1) / m
                rhs = prod.sum(-1) / m
                _close(lhs, rhs, f"{k}: actgrad-mean, weight-gradient form vs dissected form")
                # G from autograd vs G = sum_p g[o](p) x_i(p + k) from unfolded patches.
                X = net.unfolded_patches(r["x"], s)[0]         # [co, cg, K, L]
                gd = g.reshape(co, 1, 1, -1)
                Gd = (X * gd).sum(-1)
                _close(G, Gd, f"{k}: weight gradient, autograd vs dissected")
        for c in res:
            res[c][k] = acc[c] / d
    return res


def node_scores(net, recs):
    d = len(recs)
    res = {"actgrad": {}, "actgrad-mean": {}}
    for s in net.scored:
        k = s["name"]
        acc_a = torch.zeros(s["edgeShape"][0], dtype=torch.float64)
        acc_m = torch.zeros_like(acc_a)
        for rec in recs:
            h, gh = rec[k]["h"], rec[k]["gh"]
            p = (h * gh).reshape(h.shape[0], -1)
            acc_a += p.abs().mean(-1)
            acc_m += p.mean(-1).abs()
        res["actgrad"][k] = acc_a / d
        res["actgrad-mean"][k] = acc_m / d
    return res


def _close(a, b, what):
    scale = max(float(a.abs().max()), float(b.abs().max()), 1e-300)
    err = float((a - b).abs().max())
    if err > TOL * scale:
        raise RuntimeError(f"cross-check failed: {what}: max diff {err:.3g} (scale {scale:.3g})")


def expand_mask(info, m, w):
    """An edge mask [Co, Cin/groups] expanded to the weight's shape (every tap of the edge)."""
    m = torch.as_tensor(np.asarray(m), dtype=torch.float64)
    return m.unsqueeze(-1).expand(*m.shape, info["K"]).reshape(w.shape)


def scores_for(net, x, t, labels, masks=None, check=True):
    """Edge scores with the forward weights W*mask, abs(W G) with the unmasked W."""
    used = {}
    for s in net.scored:
        w = net.weights[s["name"]]
        if masks is not None:
            w = w * expand_mask(s, masks[s["name"]], w)
        used[s["name"]] = w
    recs = per_image_pass(net, x, t, labels, used)
    for rec in recs:
        for k in rec:
            rec[k]["Wused"] = used[k]
    return edge_scores(net, recs, net.weights, check=check), recs


def flat(net, per_layer):
    return np.concatenate([np.asarray(per_layer[k], dtype=np.float64).reshape(-1)
                           for k in net.scored_names])


def unflat(net, v):
    out, off = {}, 0
    for s in net.scored:
        n = s["edgeShape"][0] * s["edgeShape"][1]
        out[s["name"]] = v[off:off + n].reshape(s["edgeShape"])
        off += n
    return out


def top_k_mask(score, among, k):
    """1 for the k edges flagged in `among` with the highest score; ties by lower global edge
    index. Also the gap between the k-th and (k+1)-th of them relative to the k-th (inf when
    the k-th is an exact 0, a structural tie that the edge index breaks)."""
    idx = np.nonzero(among)[0]
    order = idx[np.lexsort((idx, -score[idx]))]
    mask = np.zeros_like(score)
    mask[order[:k]] = 1
    if k >= len(order):
        return mask, float("inf")
    lo, hi = score[order[k]], score[order[k - 1]]
    if hi == 0:
        return mask, float("inf")  # a tie of exact zeros (no path): broken by edge index
    return mask, float((hi - lo) / hi)


def prunable_of(net, rel_flat, linear):
    """1 for the relevant edges a cut may remove: conv2d edges, and linear ones when linear=1."""
    parts = [np.full(s["edgeShape"][0] * s["edgeShape"][1], 1.0 if (s["op"] == "conv2d" or linear) else 0.0)
             for s in net.scored]
    return rel_flat * np.concatenate(parts)


def kt_of(step, k, N):
    raw = math.exp(step / FORCE_T * math.log(k) + (1 - step / FORCE_T) * math.log(N))
    kt = min(N, max(1, math.ceil(raw - KEEP_EPS)))
    return kt, abs((raw - KEEP_EPS) - round(raw - KEEP_EPS))


def masked_margins(net, x, t, labels, weights):
    """In the network run with `weights` (a FORCE step's masked forward), over the places the
    gradient of some image's target passes: the smallest |pre-ReLU| value, and the smallest
    non-zero gap between the two largest values of a max-pool window. The scoring batch is drawn
    with these clear in the whole network; pruning can bring them close (a channel cut down to
    its bias, mixed by an LRN, gives windows that differ in the ninth digit), where float32 may
    pick another arg max or ReLU side. Exact ties (constant maps) are broken alike: first max."""
    relu_m, pool_m = float("inf"), float("inf")
    watch = [l for l in net.layers if l["op"] in ("relu", "maxpool")]
    for n in range(x.shape[0]):
        leaves = {k: w.detach().clone().requires_grad_(True) for k, w in weights.items()}
        vals, _ = net.forward(x[n:n + 1], leaves)
        f = per_image_value(t, vals, net.output, labels[n:n + 1]).sum()
        outs = [vals[l["name"]] for l in watch]
        grads = torch.autograd.grad(f, outs, allow_unused=True)
        for l, g in zip(watch, grads):
            if g is None:
                continue
            xin = vals[l["inputs"][0]].detach()
            live = g.detach() != 0
            if l["op"] == "relu":
                if live.any():
                    relu_m = min(relu_m, float(xin.abs()[live].min()))
                continue
            a = l["attrs"]
            (kh, kw), (sh, sw), (ph, pw) = a["kernel"], a["stride"], a["padding"]
            oh, ow = net.shapes[l["name"]][1:]
            H, W = xin.shape[2:]
            eh = max(0, (oh - 1) * sh + kh - (H + 2 * ph))
            ew = max(0, (ow - 1) * sw + kw - (W + 2 * pw))
            xp = F.pad(xin, (pw, pw + ew, ph, ph + eh), value=float("-inf"))
            u = xp.unfold(2, kh, sh).unfold(3, kw, sw)[:, :, :oh, :ow].reshape(*live.shape, kh * kw)
            top = u.topk(2, dim=-1).values
            gap = top[..., 0] - top[..., 1]
            sel = live & (gap > 0)
            if sel.any():
                pool_m = min(pool_m, float(gap[sel].min()))
    return relu_m, pool_m


def force(net, x, t, labels, rel_flat, keep, linear):
    """FORCE over the relevant prunable edges; non-prunable edges stay in the forward at 1.
    Raises NearTie when a step's top-k boundary is closer than MIN_REL_GAP."""
    prunable = prunable_of(net, rel_flat, linear)
    N = int(prunable.sum())
    k = keep_count(keep, N)
    fwd_mask = np.ones_like(rel_flat)  # every edge in; irrelevant ones cannot reach the target
    schedule, gaps, near_int = [], [], []
    scores = top = None
    margins = [float("inf"), float("inf")]
    for step in range(1, FORCE_T + 1):
        if step > 1:
            rm, pm = masked_margins(net, x, t, labels, masked_weights(net, fwd_mask))
            if min(rm, pm) < MASKED_MARGIN:
                raise NearTie(f"FORCE keep {keep:g} linear={linear} step {step}: masked network "
                              f"min |pre-ReLU| {rm:.3g}, min max-pool gap {pm:.3g}")
            margins = [min(margins[0], rm), min(margins[1], pm)]
        sc, _ = scores_for(net, x, t, labels, masks=unflat(net, fwd_mask), check=True)
        scores = flat(net, {kk: v.numpy() for kk, v in sc["snip"].items()}) * rel_flat
        kt, dist = kt_of(step, k, N)
        if step < FORCE_T:
            near_int.append(dist)
        schedule.append(kt)
        top, gap = top_k_mask(scores, prunable, kt)
        gaps.append(gap)
        if gap < MIN_REL_GAP:
            raise NearTie(f"FORCE keep {keep:g} linear={linear} step {step}: relative gap {gap:.3g}")
        fwd_mask = np.where(prunable > 0, top, 1.0)
    if schedule[-1] != k:
        raise RuntimeError(f"FORCE schedule ends at {schedule[-1]}, not k = {k}")
    if near_int and min(near_int) < MIN_KT_DISTANCE:
        raise RuntimeError(f"FORCE k_t schedule of N = {N}, k = {k} sits on a ceil boundary")
    mask = np.maximum(top, rel_flat * (1 - prunable))
    return dict(N=N, k=k, schedule=schedule, scores=scores, mask=mask, maskedMargins=margins,
                minBoundaryGap=min(gaps), minDistanceFromInteger=min(near_int) if near_int else None)


def normalize_per_layer(net, score, rel_flat):
    """Min-max per layer over its relevant edges ((s - lo) / (hi - lo), 1 when hi == lo; 0 for
    irrelevant edges), and per edge the bound on |d normalized| / eps when every raw score s
    moves by up to eps * s (float32 sums of positive terms err relative to the value):
    (s + lo + n (hi + lo)) / (hi - lo) (0 when hi == lo)."""
    norm, err = np.zeros_like(score), np.zeros_like(score)
    off = 0
    for s in net.scored:
        n = s["edgeShape"][0] * s["edgeShape"][1]
        sl = slice(off, off + n)
        off += n
        r = rel_flat[sl] > 0
        if not r.any():
            continue
        v = score[sl]
        lo, hi = v[r].min(), v[r].max()
        span = hi - lo
        nv = np.where(r, (v - lo) / span if span > 0 else 1.0, 0.0)
        norm[sl] = nv
        err[sl] = np.where(r, (v + lo + nv * (hi + lo)) / span if span > 0 else 0.0, 0.0)
    return norm, err


def is_dead(score, rel_flat):
    """Every relevant score equal: the target does not change with any kernel on these images."""
    v = score[rel_flat > 0]
    return v.size > 0 and v.min() == v.max() and (v.max() == 0 or v.size > 1)


def cut_robustness(norm, err, among, k):
    """How far (as eps: every raw score s moved by up to eps * s) the raw scores could move before the top-k set of `among` by normalized score changed. Exact ties
    at the k-th place are fine when they sit at normalized 1 (layer maxima) or 0 (layer minima),
    exact in any precision: the edge index breaks them the same way, and which edge is a layer's
    maximum (minimum) is then checked through the nearest edge below 1 (above 0)."""
    idx = np.nonzero(among)[0]
    order = idx[np.lexsort((idx, -norm[idx]))]
    if k >= len(order):
        return float("inf")
    K, U = order[:k], order[k:]
    v, w = norm[K[-1]], norm[U[0]]
    if v > w:
        gaps = norm[K][:, None] - norm[U][None, :]
        bound = err[K][:, None] + err[U][None, :]
        return float(np.min(np.where(bound > 0, gaps / np.where(bound > 0, bound, 1), np.inf)))
    if v == 1.0:
        below = U[norm[U] < 1.0]
        if below.size == 0:
            return float("inf")
        return float(np.min((1.0 - norm[below]) / np.maximum(err[below], 1e-300)))
    if v == 0.0:
        above = K[norm[K] > 0.0]
        if above.size == 0:
            return float("inf")
        return float(np.min(norm[above] / np.maximum(err[above], 1e-300)))
    return 0.0


def cut(net, flow, t, score, rel_flat, keep, linear):
    """The top-fraction cut with per-layer normalization, before and after the effective mask."""
    prunable = prunable_of(net, rel_flat, linear)
    N = int(prunable.sum())
    k = keep_count(keep, N)
    dead = is_dead(score, rel_flat)
    if dead:
        before, robust = np.zeros_like(score), float("inf")
    else:
        norm, err = normalize_per_layer(net, score, rel_flat)
        top, _ = top_k_mask(norm, prunable, k)
        robust = cut_robustness(norm, err, prunable, k)
        if robust < MIN_CUT_ROBUSTNESS:
            raise NearTie(f"cut keep {keep:g} linear={linear}: robustness {robust:.3g}")
        before = np.maximum(top, rel_flat * (1 - prunable))
    after = flat(net, flow.effective(t, unflat(net, before)))
    return dict(N=N, k=k, dead=bool(dead), before=before, after=after, robustness=robust)


def masked_weights(net, mask_flat):
    masks = unflat(net, mask_flat)
    return {s["name"]: net.weights[s["name"]] * expand_mask(s, masks[s["name"]], net.weights[s["name"]])
            for s in net.scored}


def check_effective(net, flow, t, before, after, x):
    """What the effective mask drops, checked by running the network: an edge of `before` not in
    `after` either has an output channel that no longer reaches the target (dropping all such
    edges leaves the target's values unchanged) or reads a channel that no longer depends on the
    input (the same map on every image: bias only)."""
    kept = unflat(net, before)
    reach_back, _ = flow.back(t, kept)
    fwd = flow.forward(kept)
    back_dead = np.zeros_like(before)
    off = 0
    for s in net.scored:
        n, (co, cg) = s["name"], s["edgeShape"]
        for o in range(co):
            if not reach_back[n][o]:
                back_dead[off + o * cg:off + (o + 1) * cg] = before[off + o * cg:off + (o + 1) * cg]
        off += co * cg
    with torch.no_grad():
        vb, _ = net.forward(x, masked_weights(net, before))
        vk, _ = net.forward(x, masked_weights(net, before - back_dead))
    _close(target_values(net, t, vk, None), target_values(net, t, vb, None),
           f"{t['id']}: dropping edges off every path to the target changed it")
    dropped = unflat(net, before - after)
    for s in net.scored:
        n = s["name"]
        for o, j in zip(*np.nonzero(dropped[n])):
            src, c2, _ = flow.deps[n][o][j]
            if not reach_back[n][o]:
                continue
            if fwd[src][c2]:
                raise RuntimeError(f"{t['id']}: {n} edge ({o}, {j}) dropped although on a kept path")
            v = vb[src].reshape(x.shape[0], -1)
            per = v.shape[1] // flow.nch[src]
            m = v[:, c2 * per:(c2 + 1) * per]
            if float((m - m[:1]).abs().max()) > 1e-12 * max(float(m.abs().max()), 1e-300):
                raise RuntimeError(f"{t['id']}: {n} edge ({o}, {j}) reads a map that depends on the input")


def target_values(net, t, vals, labels):
    """The series preservation compares: the target channel's map flattened (n, y, x) for a
    feature target, the per-image value otherwise."""
    if t["kind"] in ("featureMean", "featureMax", "featureAt"):
        return vals[t["layer"]][:, t["channel"]].reshape(-1)
    if t["kind"] == "loss" and labels is None:
        return vals[net.output]  # logits: the loss is a function of them
    return per_image_value(t, vals, net.output, labels)


def pearson(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    da, db = a - a.mean(), b - b.mean()
    if np.all(db == 0) or np.all(da == 0):
        return 0.0
    return float((da * db).sum() / math.sqrt((da * da).sum() * (db * db).sum()))


def is_collapsed(v):
    """Constant to within float32 noise: std <= 1e-6 * max(1e-30, mean |v|) (or exactly constant)."""
    v = np.asarray(v, np.float64)
    return bool(np.all(v == v[0]) or v.std() <= COLLAPSE_REL * max(1e-30, float(np.abs(v).mean())))


def preservation(net, xh, t, labels_h, mask_flat):
    masks = unflat(net, mask_flat)
    out = []
    for m in (None, masks):
        w = {}
        for s in net.scored:
            ww = net.weights[s["name"]]
            if m is not None:
                ww = ww * expand_mask(s, m[s["name"]], ww)
            w[s["name"]] = ww
        with torch.no_grad():
            vals, _ = net.forward(xh, w)
            v = target_values(net, t, vals, labels_h)
        out.append(v.numpy().astype(np.float64))
    orig, circ = out
    std = float(orig.std())
    collapsed = is_collapsed(circ)
    r = 0.0 if collapsed else pearson(orig, circ)
    return dict(r=r, meanAbsDiffOverStd=float(np.abs(circ - orig).mean() / std), collapsed=collapsed,
                original=orig, circuit=circ)


# ---------------------------------------------------------------------------- one case

def draw_batch(net, gen, n, shape):
    for attempt in range(100):
        x32 = torch.randn([n] + shape, generator=gen)
        with torch.no_grad():
            v = net.net(x32.double(), return_all=True)
        relu_m, max_m = mf.margins(net.net, v)
        if relu_m > mf.RELU_MARGIN and max_m > mf.MAX_MARGIN:
            return x32, relu_m, max_m, attempt
    raise RuntimeError("no tie-free batch found")


def check_forward(net, x):
    """The dissected forward equals the stock float64 McNet on every node."""
    with torch.no_grad():
        ref = net.net(x, return_all=True)
        mine, _ = net.forward(x, net.weights)
    for k, v in ref.items():
        key = k
        if k in net.folded_bn.values():
            continue  # the folded conv's output is the batchnorm's
        _close(mine[key], v, f"forward of {k!r}, dissected vs stock")


def _gap(v):
    return None if math.isinf(v) else mf._r(v)


def check_against_fixture(net, folder):
    """Per-image weight gradients of the loss on fixture.bin's input equal its perimage rows
    (an independent float64 computation with the stock modules, stored as float32)."""
    with open(os.path.join(folder, "fixture.json"), encoding="utf-8") as f:
        fdoc = json.load(f)
    with open(os.path.join(folder, "fixture.bin"), "rb") as f:
        fx = mcnet.read_tensor_table(f.read(), fdoc["tensors"], "fixture.bin")
    tgt = next(t for t in fdoc["targets"] if t["kind"] == "loss")
    x = torch.from_numpy(fx["input"]).double()
    labels = torch.tensor(fdoc["labels"])
    recs = per_image_pass(net, x, tgt, labels, net.weights)
    for k in net.scored_names:
        ref = torch.from_numpy(fx[f"grad/{tgt['id']}/perimage/{k}.weight"]).double()
        for n, rec in enumerate(recs):
            G = rec[k]["G"]
            if k in net.fold_scale:
                G = G * net.fold_scale[k].view(-1, 1, 1, 1)  # dF/dW = dF/d(folded W) * s
            scale = float(ref[n].abs().max())
            if float((G - ref[n]).abs().max()) > 1e-6 * scale:
                raise RuntimeError(f"{k}: per-image gradient differs from fixture.bin")


def make_case(case, verbose=False, known_search=None):
    """One case's doc and tensors. known_search: the index of the scoring batch a first run
    found (earlier candidates are drawn but not scored again)."""
    cfg = CASES[case]
    folder = os.path.join(REPO, "tests", "fixtures", case)
    with open(os.path.join(folder, "model.json"), encoding="utf-8") as f:
        model_doc = json.load(f)
    net = Dissected(mcnet.load_model(folder), model_doc)
    flow = ChannelFlow(net)
    spec = model_doc["input"]
    shape = [spec["channels"], spec["height"], spec["width"]]
    classes = len(model_doc["classes"])

    check_against_fixture(net, folder)
    genh = torch.Generator().manual_seed(cfg["seed"] + 100)
    xh32, h_relu, h_max, h_att = draw_batch(net, genh, N_HELDOUT, shape)
    labels_h = torch.randint(0, classes, (N_HELDOUT,), generator=genh)
    xh = xh32.double()
    check_forward(net, xh)

    # A scoring batch whose every top-k decision (FORCE steps, cuts) is clear of near-ties, so
    # that a float32 engine makes the same choices (seeded search; NearTie moves on).
    gen = torch.Generator().manual_seed(cfg["seed"])
    s_att = 0
    for search in range(MAX_SEARCH):
        xs32, s_relu, s_max, att = draw_batch(net, gen, D_SCORING, shape)
        s_att += att + 1
        labels = torch.randint(0, classes, (D_SCORING,), generator=gen)
        if known_search is not None and search < known_search:
            continue
        xs = xs32.double()
        check_forward(net, xs)
        tensors = {"images/scoring": xs32.numpy(), "images/heldout": xh32.numpy()}
        try:
            targets_doc, gaps = score_targets(net, flow, cfg, xs, labels, xh, labels_h, tensors)
        except NearTie as e:
            if known_search is not None:
                raise RuntimeError(f"{case}: the second run found a near-tie the first did not: {e}")
            if verbose:
                print(f"  {case} search {search}: {e}", flush=True)
            continue
        if verbose:
            print(f"  {case} search {search}: accepted", flush=True)
        break
    else:
        raise RuntimeError(f"{case}: no scoring batch with clear top-k boundaries found")
    s_att -= 1
    return finish_doc(net, case, targets_doc, labels, labels_h, gaps, search,
                      (s_relu, s_max, s_att), (h_relu, h_max, h_att)), tensors


def score_targets(net, flow, cfg, xs, labels, xh, labels_h, tensors):
    """Scores, FORCE, cuts and preservation of every target into `tensors`; the target docs and
    the smallest FORCE gap and cut robustness. Raises NearTie at the first unclear top-k."""
    targets_doc, min_gap, min_rob = [], float("inf"), float("inf")
    # Pass 1, every target: scores and cuts (cheap; a near-tie here skips every FORCE run).
    pre = []
    for t in cfg["targets"]:
        tid = t["id"]
        t = {k: v for k, v in t.items() if k != "query"}
        rel = relevance(net, t)
        rel_flat = flat(net, rel)
        # The channel walk with every edge allowed is relevance, found the other way.
        _, rel2 = flow.back(t)
        if any(not np.array_equal(rel[k], rel2[k]) for k in rel):
            raise RuntimeError(f"{tid}: the channel walk and relevance() disagree")
        sc, recs = scores_for(net, xs, t, labels)
        nodes = node_scores(net, recs)
        edges = {c: {k: v.numpy() * rel[k] for k, v in sc[c].items()} for c in sc}
        edges["magnitude"] = {}
        for s in net.scored:
            w = net.weights[s["name"]].view(*s["edgeShape"], s["K"])
            edges["magnitude"][s["name"]] = w.abs().mean(-1).numpy() * rel[s["name"]]
        if is_dead(flat(net, edges[CUT_CRITERION]), rel_flat):
            raise RuntimeError(f"{tid}: the target is dead on the scoring batch (meant to be alive)")
        cuts = {}
        for lin in LINEAR_MODES:
            cuts[lin] = cut(net, flow, t, flat(net, edges[CUT_CRITERION]), rel_flat, CUT_KEEP, lin)
            check_effective(net, flow, t, cuts[lin]["before"], cuts[lin]["after"], xh)
            min_rob = min(min_rob, cuts[lin]["robustness"])
        pre.append((tid, t, rel, rel_flat, nodes, edges, cuts))
    # Pass 2: FORCE, the runs most likely to meet a near-tie first (keep 0.1 with linear edges
    # kept prunes alexnet-mini's conv1 down to bias-only maps that its LRN and max pool turn into
    # windows tied below float32 resolution).
    forces = {}
    for keep, lin in sorted(((k, l) for k in FORCE_KEEPS for l in LINEAR_MODES), key=lambda kl: (kl[1], kl[0])):
        for tid, t, rel, rel_flat, nodes, edges, cuts in pre:
            if lin and np.array_equal(prunable_of(net, rel_flat, 0), prunable_of(net, rel_flat, 1)):
                forces[tid, keep, lin] = forces[tid, keep, 0]  # no relevant linear edge: linear=1 is linear=0
                continue
            forces[tid, keep, lin] = force(net, xs, t, labels, rel_flat, keep, lin)
            min_gap = min(min_gap, forces[tid, keep, lin]["minBoundaryGap"])
    # Pass 3: the tensors, target by target.
    for tid, t, rel, rel_flat, nodes, edges, cuts in pre:
        node_rel = {k: (rel[k].sum(1) > 0).astype(np.float64) for k in rel}
        for c in EDGE_CRITERIA:
            for k in net.scored_names:
                tensors[f"{tid}/edges/{c}/{k}"] = edges[c][k]
        for c in EDGE_CRITERIA:
            for k in net.scored_names:
                if c in WEIGHT_CRITERIA:
                    v = edges[c][k].mean(1)  # mean of the incoming kernel scores
                else:
                    v = nodes[c][k].numpy() * node_rel[k]
                tensors[f"{tid}/nodes/{c}/{k}"] = v
        fdoc = {}
        for keep in FORCE_KEEPS:
            kk = f"{keep:g}"
            fdoc[kk] = {}
            for lin in LINEAR_MODES:
                fr = forces[tid, keep, lin]
                sc_l, mask_l = unflat(net, fr["scores"]), unflat(net, fr["mask"])
                base = f"{tid}/force/{kk}/linear{lin}"
                for k in net.scored_names:
                    tensors[f"{base}/scores/{k}"] = sc_l[k]
                for k in net.scored_names:
                    tensors[f"{base}/nodes/{k}"] = sc_l[k].mean(1)
                for k in net.scored_names:
                    tensors[f"{base}/mask/{k}"] = mask_l[k]
                fdoc[kk][f"linear{lin}"] = {
                    "N": fr["N"], "k": fr["k"], "schedule": fr["schedule"],
                    "minRelBoundaryGap": _gap(fr["minBoundaryGap"]),
                    "minDistanceOfRawKtFromInteger": mf._r(fr["minDistanceFromInteger"]),
                    "maskedMinAbsPreRelu": _gap(fr["maskedMargins"][0]),
                    "maskedMinMaxPoolGap": _gap(fr["maskedMargins"][1])}
        cdoc = {}
        ck = f"{CUT_CRITERION}/{CUT_KEEP:g}"
        for lin in LINEAR_MODES:
            cr = cuts[lin]
            base = f"{tid}/cut/{ck}/linear{lin}"
            b, a = unflat(net, cr["before"]), unflat(net, cr["after"])
            for k in net.scored_names:
                tensors[f"{base}/before/{k}"] = b[k]
            for k in net.scored_names:
                tensors[f"{base}/after/{k}"] = a[k]
            prunable = prunable_of(net, rel_flat, lin)
            cdoc[f"linear{lin}"] = {
                "N": cr["N"], "k": cr["k"], "dead": cr["dead"],
                "keptBefore": int(cr["before"].sum()), "keptAfter": int(cr["after"].sum()),
                "prunableKeptAfter": int((cr["after"] * prunable).sum()),
                "robustness": _gap(cr["robustness"])}
        pr = preservation(net, xh, t, labels_h, cuts[PRESERVE_LINEAR]["after"])
        pk = f"{tid}/preservation/{ck}/linear{PRESERVE_LINEAR}"
        tensors[pk] = np.array([pr["r"], pr["meanAbsDiffOverStd"], float(pr["collapsed"])])
        tensors[f"{pk}/original"] = pr["original"]
        tensors[f"{pk}/circuit"] = pr["circuit"]
        tdoc = dict(cfg_target(cfg, tid), targetLayer=target_layer(t, net.output),
                    definition=mf.describe(t, net.output), relevantEdges=int(rel_flat.sum()),
                    prunableEdges={f"linear{lin}": int(prunable_of(net, rel_flat, lin).sum()) for lin in LINEAR_MODES},
                    force=fdoc, cut={ck: cdoc},
                    preservation={"circuit": f"cut/{ck}/linear{PRESERVE_LINEAR}/after",
                                  "r": pr["r"], "meanAbsDiffOverStd": pr["meanAbsDiffOverStd"],
                                  "collapsed": pr["collapsed"], "values": int(pr["original"].size)})
        targets_doc.append(tdoc)
    return targets_doc, (min_gap, min_rob)


def cfg_target(cfg, tid):
    return next(dict(t) for t in cfg["targets"] if t["id"] == tid)


KEYS = {
    "images/scoring": "[d, C, H, W] the scoring images (network input, float32 exactly as used)",
    "images/heldout": "[heldout, C, H, W] the held-out images of preservation",
    "<id>/edges/<criterion>/<layer>": "[Co, Cin/groups] edge scores, criterion in criteria.edges; irrelevant edges 0",
    "<id>/nodes/<criterion>/<layer>": "[Co] node scores; actgrad, actgrad-mean from the node map; snip, magnitude: "
                                      "mean of the row of edges/<criterion>/<layer>; irrelevant nodes 0",
    "<id>/force/<keep>/linear<L>/scores/<layer>": "[Co, Cin/groups] FORCE scores after step T (keep in force.keeps, "
                                                  "L = 0: conv edges pruned, 1: linear edges too); irrelevant 0",
    "<id>/force/<keep>/linear<L>/nodes/<layer>": "[Co] mean of the row of force/<keep>/linear<L>/scores/<layer>",
    "<id>/force/<keep>/linear<L>/mask/<layer>": "[Co, Cin/groups] 0/1: the top k relevant prunable edges by the "
                                                "final scores (ties: lower global index) plus every relevant "
                                                "non-prunable edge; irrelevant 0",
    "<id>/cut/actgrad/0.3/linear<L>/before/<layer>": "[Co, Cin/groups] 0/1: the top-fraction cut (actgrad, keep 0.3, "
                                                     "per-layer min-max normalized, k = ceil(0.3 N)) plus every "
                                                     "relevant non-prunable edge, before the effective mask",
    "<id>/cut/actgrad/0.3/linear<L>/after/<layer>": "[Co, Cin/groups] 0/1: the same after the effective mask (the circuit)",
    "<id>/preservation/actgrad/0.3/linear0": "[3] r, meanAbsDiffOverStd, collapsed (0/1) of the circuit "
                                             "cut/actgrad/0.3/linear0/after on images/heldout",
    "<id>/preservation/actgrad/0.3/linear0/original": "[V] the target's held-out values, original network",
    "<id>/preservation/actgrad/0.3/linear0/circuit": "[V] the same with every edge outside the circuit zeroed",
}

CHANGED_KEYS = {
    "format": "cnn-microscope-saliency/1 -> /2",
    "targets": "ids featmean, logit, loss -> node (post-activation map), node-pre (the layer itself), logit, loss; "
               "node-pre is the former featmean target; alexnet-mini's logit is class 0 (was 1)",
    "values": "nodes/snip and nodes/magnitude are now means of the incoming edge scores (were sums)",
    "replaced": {
        "<id>/force/<keep>/scores/<layer>": "<id>/force/<keep>/linear1/scores/<layer> (and linear0); k, k_t now ceil",
        "<id>/force/<keep>/mask/<layer>": "<id>/force/<keep>/linear<L>/mask/<layer>",
        "<id>/preservation/actgrad-0.3": "<id>/preservation/actgrad/0.3/linear0 (3 values: r, diff, collapsed)",
        "<id>/preservation/actgrad-0.3/original": "<id>/preservation/actgrad/0.3/linear0/original",
        "<id>/preservation/actgrad-0.3/circuit": "<id>/preservation/actgrad/0.3/linear0/circuit",
        "<id>/preservation/mask/<layer>": "<id>/cut/actgrad/0.3/linear0/after/<layer> (now per-layer "
                                          "normalized, ceil, linear edges kept, effective mask applied)",
    },
    "new": ["<id>/force/<keep>/linear<L>/nodes/<layer>", "<id>/cut/actgrad/0.3/linear<L>/before/<layer>"],
}


def finish_doc(net, case, targets_doc, labels, labels_h, gaps, search, s_stats, h_stats):
    (s_relu, s_max, s_att), (h_relu, h_max, h_att) = s_stats, h_stats
    min_gap, min_rob = gaps

    layers_doc = []
    for s in net.scored:
        e = {"name": s["name"], "op": s["op"], "edgeShape": s["edgeShape"], "K": s["K"],
             "groups": s["groups"], "inChannels": s["inChannels"], "nodeMap": s["nodeMap"],
             "prunedByDefault": s["op"] == "conv2d"}
        if s["op"] == "linear":
            e["inputMap"] = s["inputMap"]
        if "foldedBatchnorm" in s:
            e["foldedBatchnorm"] = s["foldedBatchnorm"]
        layers_doc.append(e)
    doc = {
        "format": FORMAT,
        "case": case,
        "model": "model.json",
        "dtype": "float32",
        "computedIn": "float64",
        "definitions": "docs/saliency.md (criteria, conventions, relevance, FORCE, cuts, preservation); "
                       "targets as in docs/fixtures.md. Scores are divided by d; irrelevant edges and nodes are 0.",
        "d": D_SCORING,
        "heldout": N_HELDOUT,
        "labels": [int(v) for v in labels],
        "heldoutLabels": [int(v) for v in labels_h],
        "criteria": {"edges": list(EDGE_CRITERIA), "nodes": list(EDGE_CRITERIA),
                     "nodeMeanOfEdges": list(WEIGHT_CRITERIA) + ["force"]},
        "keepCount": "k = max(1, ceil(keep*N - 1e-9)), N = relevant prunable edges",
        "force": {"T": FORCE_T, "keeps": [f"{k:g}" for k in FORCE_KEEPS], "linear": list(LINEAR_MODES),
                  "rounding": "k as keepCount; k_t = min(N, max(1, ceil(exp(t/T ln k + (1 - t/T) ln N) - 1e-9)))"},
        "cut": {"criterion": CUT_CRITERION, "keep": CUT_KEEP, "linear": list(LINEAR_MODES),
                "normalization": "min-max per layer over relevant edges; 1 when a layer's relevant scores are equal",
                "ties": "lower global edge index first", "effectiveMask": "after"},
        "preservation": {"circuit": f"cut/{CUT_CRITERION}/{CUT_KEEP:g}/linear{PRESERVE_LINEAR}/after",
                         "collapsed": "std of the circuit's values <= 1e-6 * max(1e-30, mean |values|); r = 0 then"},
        "keys": KEYS,
        "changedKeys": CHANGED_KEYS,
        "notes": NOTES,
        "layers": layers_doc,
        "targets": targets_doc,
        "stats": {"scoring": {"minAbsPreRelu": mf._r(s_relu), "minMaxPoolGap": mf._r(s_max),
                              "attempt": s_att, "batchesScored": search + 1},
                  "heldout": {"minAbsPreRelu": mf._r(h_relu), "minMaxPoolGap": mf._r(h_max),
                              "attempt": h_att},
                  "minRelTopKGap": _gap(min_gap), "minRelTopKGapBound": MIN_REL_GAP,
                  "minCutRobustness": _gap(min_rob), "minCutRobustnessBound": MIN_CUT_ROBUSTNESS},
    }
    return doc


def serialize(doc, tensors):
    table, blobs, off = {}, [], 0
    for name, t in tensors.items():
        a32 = np.asarray(t, dtype=np.float64).astype("<f4")
        if not np.all(np.isfinite(a32)):
            raise RuntimeError(f"tensor {name!r} is not finite")
        table[name] = {"shape": list(a32.shape), "offset": off}
        blobs.append(a32.tobytes())
        off += a32.size * 4
    text = mcnet.dumps(dict(doc, tensors=table)).encode("utf-8")
    return text, b"".join(blobs)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out", default=os.path.join(REPO, "tests", "fixtures"))
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--verbose", action="store_true", help="print the scoring-batch search")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    bad = 0
    t_all = time.time()
    for case in CASES:
        t0 = time.time()
        doc, tensors = make_case(case, args.verbose)
        t1 = time.time()
        text, blob = serialize(doc, tensors)
        search = doc["stats"]["scoring"]["batchesScored"] - 1
        text2, blob2 = serialize(*make_case(case, known_search=search))
        if text != text2 or blob != blob2:
            raise RuntimeError(f"{case}: a second run gave different bytes")
        if len(blob) > MAX_BIN_BYTES:
            raise RuntimeError(f"{case}: saliency.bin is {len(blob)} bytes, over {MAX_BIN_BYTES}")
        st = doc["stats"]
        print(f"{case}: {len(tensors)} tensors, saliency.bin {len(blob)} bytes, scoring batch "
              f"{search + 1} accepted, min FORCE gap {st['minRelTopKGap']}, min cut robustness "
              f"{st['minCutRobustness']} ({t1 - t0:.0f} s, repeat {time.time() - t1:.0f} s)")
        for t in doc["targets"]:
            p = t["preservation"]
            ks = {kk: [v["k"] for v in f.values()] for kk, f in t["force"].items()}
            c = next(iter(t["cut"].values()))
            print(f"  {t['id']:9s} {t['targetLayer']:10s} N={t['relevantEdges']:4d} "
                  f"prunable={list(t['prunableEdges'].values())} force k (linear0, 1)={ks} "
                  f"cut kept before/after={[(v['keptBefore'], v['keptAfter']) for v in c.values()]} "
                  f"r={p['r']:.4f} |diff|/std={p['meanAbsDiffOverStd']:.4f} collapsed={p['collapsed']}")
        dest = os.path.join(args.out, case)
        for fname, data in (("saliency.json", text), ("saliency.bin", blob)):
            path = os.path.join(dest, fname)
            if args.check:
                same = os.path.exists(path) and open(path, "rb").read() == data
                bad += not same
                print(f"  {'same' if same else 'DIFFERS'} {path}")
            else:
                os.makedirs(dest, exist_ok=True)
                with open(path, "wb") as f:
                    f.write(data)
                print(f"  wrote {os.path.relpath(path, REPO)} ({len(data)} bytes, "
                      f"sha256 {hashlib.sha256(data).hexdigest()[:16]})")
    print(f"total {time.time() - t_all:.0f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
