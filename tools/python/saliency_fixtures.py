# Writes the saliency golden fixtures (tests/fixtures/<case>/saliency.json + saliency.bin): edge
# and node scores, FORCE masks and preservation for the criteria of docs/saliency.md, computed
# in float64 with every kernel's pre-sum map made explicit. Deterministic; --check compares.
"""Usage: OMP_NUM_THREADS=1 /usr/bin/python3 tools/python/saliency_fixtures.py [--out DIR] [--check]

Reads tests/fixtures/<case>/model.json + weights.bin (written by make_fixtures.py), draws a
seeded held-out batch and seeded scoring batches until every top-k decision is clear of
near-ties, and writes saliency.json + saliency.bin next to them (each case is computed twice
and must give the same bytes). --check recomputes and compares with the files on disk.
"""

import argparse
import copy
import hashlib
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcnet  # noqa: E402
import make_fixtures as mf  # noqa: E402

FORMAT = "cnn-microscope-saliency/1"
REPO = mf.REPO
MAX_BIN_BYTES = 400_000
D_SCORING = 4
N_HELDOUT = 6
FORCE_T = 10
FORCE_KEEPS = (0.1, 0.3)
PRESERVE_KEEP = 0.3
EDGE_CRITERIA = ("actgrad", "actgrad-mean", "snip", "magnitude")
TOL = 1e-10
MIN_REL_GAP = 1e-3   # smallest (k-th - (k+1)-th) / k-th score at any top-k boundary
MAX_SEARCH = 200

CASES = {
    "alexnet-mini": dict(seed=3001, targets=[
        {"id": "featmean", "kind": "featureMean", "layer": "conv2", "channel": 3},
        {"id": "logit", "kind": "classLogit", "class": 1},
        {"id": "loss", "kind": "loss"},
    ]),
    "branchnet": dict(seed=3002, targets=[
        {"id": "featmean", "kind": "featureMean", "layer": "res_conv1", "channel": 5},
        {"id": "logit", "kind": "classLogit", "class": 1},
        {"id": "loss", "kind": "loss"},
    ]),
}


NOTES = [
    "<id>/edges/<criterion>/<layer> is [Co, Cin/groups]: entry (o, j) is the edge from input channel "
    "g(o)*Cin/groups + j into output channel o. A linear layer fed by a flattened [C, H, W] map "
    "(inputMap) has one edge per (o, c) covering W[o, c*H*W:(c+1)*H*W], K = H*W.",
    "A batchnorm after a conv that feeds nothing else is folded into the conv (foldedBatchnorm): "
    "magnitude uses the folded kernel W*s, and the folded conv's node map is the relu after the "
    "batchnorm. actgrad, actgrad-mean and snip do not change under folding.",
    "Relevance is per channel: an edge is relevant when its output channel has a path to the "
    "target's channels; in the target layer only the target channel / class row, or every row for loss. "
    "Node scores of irrelevant nodes are 0.",
    "actgrad / actgrad-mean node scores of the target's own layer are 0 where its node map is the "
    "following relu: the target reads the layer output, so dF/d(relu output) = 0.",
    "FORCE: forward and backward with W*mask (irrelevant edges left unmasked; they cannot reach the "
    "target), G = dF_n/d(masked weight), abs(W G) with the unmasked W. relBoundaryGap values are "
    "(k-th - (k+1)-th) / k-th relevant score at a top-k cut; the scoring batch was drawn until all "
    "are at least stats.minRelTopKGap's bound.",
    "Preservation: Pearson r over the held-out values (featureMean: the target channel of the "
    "target layer, flattened n, y, x; classLogit: the logit per image; loss: the cross-entropy per "
    "image against heldoutLabels), then mean |circuit - original| / std(original) with the "
    "population std; r = 0 when either series is constant. The circuit zeroes every weight of "
    "every edge not in preservation/mask (irrelevant edges included), biases kept.",
]


def round_half_up(v):
    """Math.round for the non-negative values used here (Python's round() is half-even)."""
    return int(math.floor(v + 0.5))


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


def top_k_mask(score, relevant, k):
    """1 for the k relevant edges with the highest score; ties by lower global edge index.
    Also the gap between the k-th and (k+1)-th relevant scores relative to the k-th (inf
    when the k-th is an exact 0, a structural tie that the edge index breaks)."""
    idx = np.nonzero(relevant)[0]
    order = idx[np.lexsort((idx, -score[idx]))]
    mask = np.zeros_like(score)
    mask[order[:k]] = 1
    if k >= len(order):
        return mask, float("inf")
    lo, hi = score[order[k]], score[order[k - 1]]
    if hi == 0:
        return mask, float("inf")  # a tie of exact zeros (no path): broken by edge index
    return mask, float((hi - lo) / hi)


def force(net, x, t, labels, rel_flat, keep):
    N = int(rel_flat.sum())
    k = max(1, round_half_up(keep * N))
    mask = rel_flat.copy()  # every edge kept (irrelevant edges do not reach the target)
    full = np.ones_like(rel_flat)
    schedule, gaps, near_half = [], [], []
    scores = None
    for step in range(1, FORCE_T + 1):
        fwd_mask = np.where(rel_flat > 0, mask, full)
        sc, _ = scores_for(net, x, t, labels, masks=unflat(net, fwd_mask), check=True)
        scores = flat(net, {kk: v.numpy() for kk, v in sc["snip"].items()}) * rel_flat
        raw = math.exp(step / FORCE_T * math.log(k) + (1 - step / FORCE_T) * math.log(N))
        kt = round_half_up(raw)
        near_half.append(abs(raw - math.floor(raw) - 0.5))
        schedule.append(kt)
        mask, gap = top_k_mask(scores, rel_flat, kt)
        gaps.append(gap)
    if schedule[-1] != k:
        raise RuntimeError(f"FORCE schedule ends at {schedule[-1]}, not k = {k}")
    return dict(N=N, k=k, schedule=schedule, scores=scores, mask=mask,
                minBoundaryGap=min(gaps), boundaryGaps=gaps, minDistanceFromHalf=min(near_half))


def pearson(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    da, db = a - a.mean(), b - b.mean()
    if np.all(db == 0) or np.all(da == 0):
        return 0.0
    return float((da * db).sum() / math.sqrt((da * da).sum() * (db * db).sum()))


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
            if t["kind"] in ("featureMean", "featureMax", "featureAt"):
                v = vals[t["layer"]][:, t["channel"]].reshape(-1)
            else:
                v = per_image_value(t, vals, net.output, labels_h)
        out.append(v.numpy().astype(np.float64))
    orig, circ = out
    std = float(orig.std())
    return pearson(orig, circ), float(np.abs(circ - orig).mean() / std), orig, circ


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


def make_case(case, verbose=False):
    cfg = CASES[case]
    folder = os.path.join(REPO, "tests", "fixtures", case)
    with open(os.path.join(folder, "model.json"), encoding="utf-8") as f:
        model_doc = json.load(f)
    net = Dissected(mcnet.load_model(folder), model_doc)
    spec = model_doc["input"]
    shape = [spec["channels"], spec["height"], spec["width"]]
    classes = len(model_doc["classes"])

    check_against_fixture(net, folder)
    genh = torch.Generator().manual_seed(cfg["seed"] + 100)
    xh32, h_relu, h_max, h_att = draw_batch(net, genh, N_HELDOUT, shape)
    labels_h = torch.randint(0, classes, (N_HELDOUT,), generator=genh)
    xh = xh32.double()
    check_forward(net, xh)

    # A scoring batch whose every top-k decision (FORCE steps, preservation circuit) is clear
    # of near-ties, so that a float32 engine makes the same choices (seeded search).
    gen = torch.Generator().manual_seed(cfg["seed"])
    s_att = 0
    for search in range(MAX_SEARCH):
        xs32, s_relu, s_max, att = draw_batch(net, gen, D_SCORING, shape)
        s_att += att + 1
        labels = torch.randint(0, classes, (D_SCORING,), generator=gen)
        xs = xs32.double()
        check_forward(net, xs)
        tensors = {"images/scoring": xs32.numpy(), "images/heldout": xh32.numpy()}
        targets_doc, min_gap = score_targets(net, cfg, xs, labels, xh, labels_h, tensors)
        if verbose:
            print(f"  {case} search {search}: min rel gap {min_gap:.3g}", flush=True)
        if min_gap >= MIN_REL_GAP:
            break
    else:
        raise RuntimeError(f"{case}: no scoring batch with clear top-k boundaries found")
    s_att -= 1
    return finish_doc(net, case, targets_doc, labels, labels_h, min_gap,
                      (s_relu, s_max, s_att), (h_relu, h_max, h_att)), tensors


def score_targets(net, cfg, xs, labels, xh, labels_h, tensors):
    """Scores, FORCE and preservation of every target into `tensors`; the target docs and the
    smallest relative gap at any top-k boundary."""
    targets_doc, min_gap = [], float("inf")
    for t in cfg["targets"]:
        tid = t["id"]
        rel = relevance(net, t)
        rel_flat = flat(net, rel)
        sc, recs = scores_for(net, xs, t, labels)
        nodes = node_scores(net, recs)
        edges = {c: {k: v.numpy() * rel[k] for k, v in sc[c].items()} for c in sc}
        edges["magnitude"] = {}
        for s in net.scored:
            w = net.weights[s["name"]].view(*s["edgeShape"], s["K"])
            edges["magnitude"][s["name"]] = w.abs().mean(-1).numpy() * rel[s["name"]]
        node_rel = {k: (rel[k].sum(1) > 0).astype(np.float64) for k in rel}
        for c in EDGE_CRITERIA:
            for k in net.scored_names:
                tensors[f"{tid}/edges/{c}/{k}"] = edges[c][k]
        for c in EDGE_CRITERIA:
            for k in net.scored_names:
                if c in nodes:
                    v = nodes[c][k].numpy() * node_rel[k]
                else:
                    v = edges[c][k].sum(1)
                tensors[f"{tid}/nodes/{c}/{k}"] = v
        fdoc, gaps = {}, []
        for keep in FORCE_KEEPS:
            fr = force(net, xs, t, labels, rel_flat, keep)
            gaps.append(fr["minBoundaryGap"])
            kk = f"{keep:g}"
            for k in net.scored_names:
                tensors[f"{tid}/force/{kk}/scores/{k}"] = unflat(net, fr["scores"])[k]
            for k in net.scored_names:
                tensors[f"{tid}/force/{kk}/mask/{k}"] = unflat(net, fr["mask"])[k]
            fdoc[kk] = {"k": fr["k"], "schedule": fr["schedule"],
                        "minRelBoundaryGap": _gap(fr["minBoundaryGap"]),
                        "minDistanceOfKtFromHalf": mf._r(fr["minDistanceFromHalf"])}
        N = int(rel_flat.sum())
        kp = max(1, round_half_up(PRESERVE_KEEP * N))
        pmask, pgap = top_k_mask(flat(net, edges["actgrad"]), rel_flat, kp)
        r, mad, orig, circ = preservation(net, xh, t, labels_h, pmask)
        tensors[f"{tid}/preservation/actgrad-0.3"] = np.array([r, mad])
        tensors[f"{tid}/preservation/actgrad-0.3/original"] = orig
        tensors[f"{tid}/preservation/actgrad-0.3/circuit"] = circ
        for k in net.scored_names:
            tensors[f"{tid}/preservation/mask/{k}"] = unflat(net, pmask)[k]
        tdoc = dict(t, targetLayer=target_layer(t, net.output), definition=mf.describe(t, net.output),
                    relevantEdges=N, force=fdoc,
                    preservation={"criterion": "actgrad", "keep": PRESERVE_KEEP, "k": kp,
                                  "relBoundaryGap": _gap(pgap), "r": r, "meanAbsDiffOverStd": mad,
                                  "values": int(orig.size)})
        targets_doc.append(tdoc)
        min_gap = min([min_gap, pgap] + gaps)
    return targets_doc, min_gap


def finish_doc(net, case, targets_doc, labels, labels_h, min_gap, s_stats, h_stats):
    (s_relu, s_max, s_att), (h_relu, h_max, h_att) = s_stats, h_stats

    layers_doc = []
    for s in net.scored:
        e = {"name": s["name"], "op": s["op"], "edgeShape": s["edgeShape"], "K": s["K"],
             "groups": s["groups"], "inChannels": s["inChannels"], "nodeMap": s["nodeMap"]}
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
        "definitions": "docs/saliency.md (criteria, relevance, FORCE, preservation); targets as in "
                       "docs/fixtures.md. Scores are divided by d; irrelevant edges and nodes are 0.",
        "d": D_SCORING,
        "heldout": N_HELDOUT,
        "labels": [int(v) for v in labels],
        "heldoutLabels": [int(v) for v in labels_h],
        "criteria": {"edges": list(EDGE_CRITERIA), "nodes": list(EDGE_CRITERIA)},
        "force": {"T": FORCE_T, "keeps": [f"{k:g}" for k in FORCE_KEEPS],
                  "rounding": "k = max(1, round(keep*N)) and k_t use round half up (Math.round)"},
        "notes": NOTES,
        "layers": layers_doc,
        "targets": targets_doc,
        "stats": {"scoring": {"minAbsPreRelu": mf._r(s_relu), "minMaxPoolGap": mf._r(s_max),
                              "attempt": s_att},
                  "heldout": {"minAbsPreRelu": mf._r(h_relu), "minMaxPoolGap": mf._r(h_max),
                              "attempt": h_att},
                  "minRelTopKGap": _gap(min_gap)},
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
    for case in CASES:
        doc, tensors = make_case(case, args.verbose)
        text, blob = serialize(doc, tensors)
        text2, blob2 = serialize(*make_case(case))
        if text != text2 or blob != blob2:
            raise RuntimeError(f"{case}: a second run gave different bytes")
        if len(blob) > MAX_BIN_BYTES:
            raise RuntimeError(f"{case}: saliency.bin is {len(blob)} bytes, over {MAX_BIN_BYTES}")
        print(f"{case}: {len(tensors)} tensors, saliency.bin {len(blob)} bytes")
        for t in doc["targets"]:
            p = t["preservation"]
            print(f"  {t['id']:9s} N={t['relevantEdges']:4d} force k={[f['k'] for f in t['force'].values()]} "
                  f"preservation r={p['r']:.4f} |diff|/std={p['meanAbsDiffOverStd']:.4f}")
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
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
