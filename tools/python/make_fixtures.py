# Writes the PyTorch golden fixtures (tests/fixtures/<case>/) that the engine's tests compare
# against: the model (model.json + weights.bin) and float64-computed forward values and
# gradients (fixture.json + fixture.bin). Format: docs/fixtures.md. Deterministic.
"""Usage: OMP_NUM_THREADS=1 /usr/bin/python3 tools/python/make_fixtures.py [--out DIR] [--check]

--check recomputes everything and compares with the files on disk instead of writing.
"""

import argparse
import hashlib
import os
import shutil
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcnet  # noqa: E402

FIXTURE_FORMAT = "cnn-microscope-fixture/1"
BATCH = 3
MAX_DIR_BYTES = 1_500_000
RELU_MARGIN = 1e-4    # smallest |pre-ReLU value| allowed (so an f32 engine agrees on the sign)
MAX_MARGIN = 1e-4     # smallest gap between the largest and second largest of a max window

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def L(name, op, inputs, **attrs):
    d = {"name": name, "op": op, "inputs": inputs if isinstance(inputs, list) else [inputs]}
    if attrs:
        d["attrs"] = attrs
    return d


# ---------------------------------------------------------------------------- cases

def case_alexnet_mini():
    layers = [
        L("conv1", "conv2d", "input", outChannels=8, kernel=[5, 5], stride=[2, 2], padding=[2, 2]),
        L("relu1", "relu", "conv1"),
        L("lrn1", "lrn", "relu1", size=5, alpha=0.01, beta=0.75, k=2.0),
        L("pool1", "maxpool", "lrn1", kernel=[3, 3], stride=[2, 2], ceilMode=False),
        L("conv2", "conv2d", "pool1", outChannels=12, kernel=[3, 3], padding=[1, 1], groups=2),
        L("relu2", "relu", "conv2"),
        L("lrn2", "lrn", "relu2", size=3, alpha=0.2, beta=0.75, k=1.0),
        L("pool2", "maxpool", "lrn2", kernel=[3, 3], stride=[2, 2], ceilMode=True),
        L("conv3", "conv2d", "pool2", outChannels=16, kernel=[3, 3], padding=[2, 2],
          dilation=[2, 2]),
        L("relu3", "relu", "conv3"),
        L("avgpool", "adaptiveavgpool", "relu3", output=[2, 2]),
        L("flatten", "flatten", "avgpool"),
        L("drop", "dropout", "flatten", p=0.5),
        L("fc1", "linear", "drop", outFeatures=20),
        L("relu4", "relu", "fc1"),
        L("fc2", "linear", "relu4", outFeatures=5),
    ]
    spec = {"name": "input", "channels": 3, "height": 35, "width": 35,
            "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
    return dict(
        case="alexnet-mini", seed=1001, layers=layers, input=spec, output="fc2",
        description="AlexNet-shaped miniature: LRN, overlapping max pools (one ceil mode), "
                    "grouped and dilated convs, adaptive average pool, dropout, two linears",
        classes=["c0", "c1", "c2", "c3", "c4"],
        targets=[
            {"id": "loss", "kind": "loss"},
            {"id": "featmean", "kind": "featureMean", "layer": "conv2", "channel": 7},
            {"id": "logit", "kind": "classLogit", "class": 2},
            {"id": "prob", "kind": "classProbability", "class": 3},
            {"id": "featmax", "kind": "featureMax", "layer": "conv2", "channel": 4},
            {"id": "featpos", "kind": "featureAt", "layer": "conv3", "channel": 9, "y": 1, "x": 2},
        ],
        # Per-image weight gradients for every target would take the folder over 1.5 MB.
        per_image_targets=["loss"])


def case_branchnet():
    layers = [
        L("stem", "conv2d", "input", outChannels=6, kernel=[3, 3]),
        L("stem_bn", "batchnorm", "stem"),
        L("stem_relu", "relu", "stem_bn"),
        L("b1", "conv2d", "stem_relu", outChannels=4, kernel=[1, 1]),
        L("b3_reduce", "conv2d", "stem_relu", outChannels=3, kernel=[1, 1]),
        L("b3", "conv2d", "b3_reduce", outChannels=4, kernel=[3, 3], padding=[1, 1]),
        L("b5", "conv2d", "stem_relu", outChannels=2, kernel=[5, 5], padding=[2, 2]),
        L("bp_pool", "maxpool", "stem_relu", kernel=[3, 3], stride=[1, 1], padding=[1, 1]),
        L("bp", "conv2d", "bp_pool", outChannels=2, kernel=[1, 1]),
        L("cat", "concat", ["b1", "b3", "b5", "bp"]),
        L("cat_relu", "relu", "cat"),
        L("pool1", "avgpool", "cat_relu", kernel=[2, 2]),
        L("res_conv1", "conv2d", "pool1", outChannels=12, kernel=[3, 3], padding=[1, 1]),
        L("res_relu", "relu", "res_conv1"),
        L("res_conv2", "conv2d", "res_relu", outChannels=12, kernel=[3, 3], padding=[1, 1]),
        L("res_add", "add", ["res_conv2", "pool1"]),
        L("res_bn", "batchnorm", "res_add", eps=1e-3),
        L("res_out", "relu", "res_bn"),
        L("pool2", "avgpool", "res_out", kernel=[3, 3], stride=[2, 2], padding=[1, 1],
          countIncludePad=True),
        L("flatten", "flatten", "pool2"),
        L("fc", "linear", "flatten", outFeatures=4),
    ]
    spec = {"name": "input", "channels": 1, "height": 12, "width": 12,
            "mean": [0.5], "std": [0.25]}
    return dict(
        case="branchnet", seed=2002, layers=layers, input=spec, output="fc",
        description="Branching net: inception-style block (1x1, 3x3, 5x5, pool branches) with "
                    "concat, residual block with add, batchnorms, padded average pools",
        classes=["a", "b", "c", "d"],
        targets=[
            {"id": "loss", "kind": "loss"},
            {"id": "featmean", "kind": "featureMean", "layer": "res_conv1", "channel": 5},
            {"id": "logit", "kind": "classLogit", "class": 1},
            {"id": "prob", "kind": "classProbability", "class": 2},
            {"id": "featmax", "kind": "featureMax", "layer": "b5", "channel": 1},
            {"id": "featpos", "kind": "featureAt", "layer": "res_conv2", "channel": 3,
             "y": 2, "x": 4},
        ])


CASES = [case_alexnet_mini, case_branchnet]


# ---------------------------------------------------------------------------- weights

def prepare_weights(net, x):
    """Random BatchNorm stats, then scale each conv/linear so its output has std ~1 on `x`.

    Biases get a small random shift so that ReLUs are partly active. All in float32.
    """
    g = torch.Generator().manual_seed(12345)
    with torch.no_grad():
        for l in net.layers:
            if l["op"] == "batchnorm":
                m = net.mods[mcnet.module_key(l["name"])]
                c = m.num_features
                m.weight.copy_(0.5 + torch.rand(c, generator=g))
                m.bias.copy_(0.3 * torch.randn(c, generator=g))
                m.running_mean.copy_(0.5 * torch.randn(c, generator=g))
                m.running_var.copy_(0.5 + 1.5 * torch.rand(c, generator=g))
        for l in net.layers:
            if l["op"] not in ("conv2d", "linear"):
                continue
            m = net.mods[mcnet.module_key(l["name"])]
            y = net(x, return_all=True)[l["name"]]
            s = float(y.std())
            m.weight.div_(s)
            if m.bias is not None:
                m.bias.div_(s)
                m.bias.add_(0.2 * torch.randn(m.bias.shape, generator=g))


def margins(net, vals):
    """Smallest |pre-ReLU| value and smallest top-2 gap of any max-pool window."""
    relu_m, max_m = float("inf"), float("inf")
    for l in net.layers:
        x = vals[l["inputs"][0]]
        if l["op"] == "relu":
            relu_m = min(relu_m, float(x.abs().min()))
        elif l["op"] == "maxpool":
            a = l["attrs"]
            (kh, kw), (sh, sw), (ph, pw) = a["kernel"], a["stride"], a["padding"]
            oh, ow = net.shapes[l["name"]][1:]
            H, W = x.shape[2:]
            extra_h = max(0, (oh - 1) * sh + kh - (H + 2 * ph))
            extra_w = max(0, (ow - 1) * sw + kw - (W + 2 * pw))
            xp = F.pad(x, (pw, pw + extra_w, ph, ph + extra_h), value=float("-inf"))
            n, c = x.shape[:2]
            u = xp.unfold(2, kh, sh).unfold(3, kw, sw)[:, :, :oh, :ow]
            u = u.reshape(n, c, oh, ow, kh * kw)
            top = u.topk(2, dim=-1).values
            # A window whose maximum is an exact 0 (all ReLU-clipped) passes no gradient
            # whichever element is picked, so only windows with a nonzero maximum count.
            gap = (top[..., 0] - top[..., 1])[top[..., 0] != 0]
            if gap.numel():
                max_m = min(max_m, float(gap.min()))
    return relu_m, max_m


# ---------------------------------------------------------------------------- targets

def per_image_value(t, vals, logits, labels):
    """The per-image scalar f_n of a target, shape [N]; the target is F = sum_n f_n."""
    k = t["kind"]
    if k == "loss":
        return F.cross_entropy(logits, labels, reduction="none")
    if k == "classLogit":
        return logits[:, t["class"]]
    if k == "classProbability":
        return F.softmax(logits, 1)[:, t["class"]]
    fmap = vals[t["layer"]][:, t["channel"]]
    if k == "featureMean":
        return fmap.mean(dim=(1, 2))
    if k == "featureMax":
        return fmap.flatten(1).max(1).values
    if k == "featureAt":
        return fmap[:, t["y"], t["x"]]
    raise ValueError(k)


def describe(t, output):
    k = t["kind"]
    if k == "loss":
        return (f"sum over images n of cross_entropy(logits[n], labels[n]) with logits = "
                f"'{output}' (torch.nn.functional.cross_entropy, reduction='sum')")
    if k == "classLogit":
        return f"sum over images n of logits[n, {t['class']}] ('{output}')"
    if k == "classProbability":
        return f"sum over images n of softmax(logits[n])[{t['class']}] ('{output}')"
    if k == "featureMean":
        return f"sum over images n of mean over (y, x) of {t['layer']}[n, {t['channel']}, y, x]"
    if k == "featureMax":
        return f"sum over images n of max over (y, x) of {t['layer']}[n, {t['channel']}, y, x]"
    if k == "featureAt":
        return f"sum over images n of {t['layer']}[n, {t['channel']}, {t['y']}, {t['x']}]"
    raise ValueError(k)


# ---------------------------------------------------------------------------- one case

def make_case(cfg):
    torch.manual_seed(cfg["seed"])
    net = mcnet.build(cfg["layers"], cfg["input"], cfg["output"]).eval()
    spec = cfg["input"]
    shape = [BATCH, spec["channels"], spec["height"], spec["width"]]
    gen = torch.Generator().manual_seed(cfg["seed"] + 1)
    calib = torch.randn([16] + shape[1:], generator=gen)
    prepare_weights(net, calib)

    # A batch whose ReLU inputs and max-pool windows are clear of ties (seeded search).
    for attempt in range(100):
        x32 = torch.randn(shape, generator=gen)
        net64 = _double_copy(net)
        with torch.no_grad():
            v = net64(x32.double(), return_all=True)
        relu_m, max_m = margins(net64, v)
        fm_ok = all(_featmax_gap(t, v) > MAX_MARGIN for t in cfg["targets"]
                    if t["kind"] == "featureMax")
        if relu_m > RELU_MARGIN and max_m > MAX_MARGIN and fm_ok:
            break
    else:
        raise RuntimeError(f"{cfg['case']}: no tie-free input batch found")
    labels = torch.randint(0, len(cfg["classes"]), (BATCH,), generator=gen)

    tmp = tempfile.mkdtemp(prefix="mcfix-")
    try:
        model_doc = mcnet.save_model(tmp, net, name=cfg["case"], description=cfg["description"],
                                     input_spec=spec, classes=cfg["classes"], output=cfg["output"])
        check_round_trip(tmp, net, x32)
        loaded = mcnet.load_model(tmp)
        tensors, doc = compute_fixture(cfg, loaded, x32, labels)
        doc["stats"] = {"minAbsPreRelu": _r(relu_m), "minMaxPoolGap": _r(max_m),
                        "inputAttempt": attempt}
        write_fixture(tmp, doc, tensors)
        return tmp, model_doc, net, doc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _r(v):
    return float(f"{v:.3g}")


def _featmax_gap(t, vals):
    fm = vals[t["layer"]][:, t["channel"]].flatten(1)
    top = fm.topk(2, dim=1).values
    return float((top[:, 0] - top[:, 1]).min())


def _double_copy(net):
    import copy
    return copy.deepcopy(net).double().eval()


def check_round_trip(folder, net, x32):
    loaded = mcnet.load_model(folder)
    with torch.no_grad():
        a = net(x32, return_all=True)
        b = loaded(x32, return_all=True)
        a64 = _double_copy(net)(x32.double(), return_all=True)
        b64 = _double_copy(loaded)(x32.double(), return_all=True)
    for k in a:
        if not torch.equal(a[k], b[k]) or not torch.equal(a64[k], b64[k]):
            raise RuntimeError(f"round trip changed the output of {k!r}")
    sa, sb = net.state_dict(), loaded.state_dict()
    if sa.keys() != sb.keys() or any(not torch.equal(sa[k], sb[k]) for k in sa):
        raise RuntimeError("round trip changed the state dict")


def compute_fixture(cfg, net32, x32, labels):
    """Forward values and gradients in float64 from the float32 weights and input."""
    net = _double_copy(net32)
    x = x32.double().requires_grad_(True)
    vals = net(x, return_all=True)
    logits = vals[net.output]
    names = [l["name"] for l in net.layers]
    params = [(n, t) for n, t in net.tensors() if t.requires_grad]
    perimage = [(n, t) for n, t in params
                if n.endswith(".weight") and _op_of(net, n) in ("conv2d", "linear")]

    out = {"input": x32.numpy()}
    for n in names:
        out[f"forward/{n}"] = vals[n].detach()
    # Distinct graph nodes only (an identity op may hand back its input tensor object).
    nodes = [x] + [vals[n] for n in names]
    for t in cfg["targets"]:
        f = per_image_value(t, vals, logits, labels)
        Fsum = f.sum()
        grads = torch.autograd.grad(Fsum, nodes + [p for _, p in params], retain_graph=True,
                                    allow_unused=True)
        gnodes, gparams = grads[:len(nodes)], grads[len(nodes):]
        tid = t["id"]
        out[f"grad/{tid}/input"] = _z(gnodes[0], x)
        for n, g in zip(names, gnodes[1:]):
            out[f"grad/{tid}/{n}"] = _z(g, vals[n])
        for (n, p), g in zip(params, gparams):
            out[f"grad/{tid}/param/{n}"] = _z(g, p)
        check_finite_difference(net, x, t, labels, out[f"grad/{tid}/input"])
        if tid not in cfg.get("per_image_targets", [tid]):
            continue
        per = {n: [] for n, _ in perimage}
        for i in range(BATCH):
            gs = torch.autograd.grad(f[i], [p for _, p in perimage], retain_graph=True,
                                     allow_unused=True)
            for (n, p), g in zip(perimage, gs):
                per[n].append(_z(g, p))
        for n, _ in perimage:
            stacked = torch.stack(per[n])
            total = out[f"grad/{tid}/param/{n}"]
            if not torch.allclose(stacked.sum(0), total, rtol=1e-10, atol=1e-12):
                raise RuntimeError(f"{tid}: per-image gradients of {n} do not sum to the total")
            out[f"grad/{tid}/perimage/{n}"] = stacked

    doc = {
        "format": FIXTURE_FORMAT,
        "case": cfg["case"],
        "model": "model.json",
        "batch": BATCH,
        "dtype": "float32",
        "computedIn": "float64",
        "objective": "Every target is F = sum over the images n of a per-image scalar f_n; "
                     "grad/<id>/... hold dF/d(...), grad/<id>/perimage/... hold df_n/d(weight) "
                     "stacked over n. Eval mode: dropout is the identity, batchnorm uses "
                     "its running statistics.",
        "labels": [int(v) for v in labels],
        "targets": [dict(t, definition=describe(t, net.output),
                         perImage=t["id"] in cfg.get("per_image_targets", [t["id"]]))
                    for t in cfg["targets"]],
    }
    return out, doc


def _op_of(net, tensor_name):
    layer = tensor_name.rsplit(".", 1)[0]
    return next(l["op"] for l in net.layers if l["name"] == layer)


def _z(g, like):
    return torch.zeros_like(like).detach() if g is None else g.detach()


def check_finite_difference(net, x, t, labels, gx):
    """Central difference of F along a fixed random direction of the input vs <grad, dir>."""
    d = torch.randn(x.shape, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    eps = 1e-6

    def Fv(xx):
        with torch.no_grad():
            v = net(xx, return_all=True)
            return float(per_image_value(t, v, v[net.output], labels).sum())

    fd = (Fv(x.detach() + eps * d) - Fv(x.detach() - eps * d)) / (2 * eps)
    an = float((gx * d).sum())
    if abs(fd - an) > 1e-6 * max(1.0, abs(an)):
        raise RuntimeError(f"target {t['id']}: finite difference {fd} vs gradient {an}")


def write_fixture(folder, doc, tensors):
    table, blobs, off = {}, [], 0
    for name, t in tensors.items():
        arr = np.asarray(t.numpy() if torch.is_tensor(t) else t, dtype=np.float64)
        a32 = arr.astype("<f4")
        if not np.all(np.isfinite(a32)):
            raise RuntimeError(f"fixture tensor {name!r} is not finite")
        table[name] = {"shape": list(a32.shape), "offset": off}
        blobs.append(a32.tobytes())
        off += a32.size * 4
    doc = dict(doc, tensors=table)
    with open(os.path.join(folder, "fixture.bin"), "wb") as f:
        for b in blobs:
            f.write(b)
    with open(os.path.join(folder, "fixture.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(mcnet.dumps(doc))


# ---------------------------------------------------------------------------- main

FILES = ("model.json", "weights.bin", "fixture.json", "fixture.bin")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out", default=os.path.join(REPO, "tests", "fixtures"))
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    bad = 0
    for make in CASES:
        cfg = make()
        tmp, model_doc, net, doc = make_case(cfg)
        try:
            size = sum(os.path.getsize(os.path.join(tmp, f)) for f in FILES)
            if size > MAX_DIR_BYTES:
                raise RuntimeError(f"{cfg['case']}: {size} bytes, over {MAX_DIR_BYTES}")
            dest = os.path.join(args.out, cfg["case"])
            print(f"{cfg['case']}: {len(doc_tensors(tmp))} fixture tensors, {size} bytes, "
                  f"min |pre-ReLU| {doc['stats']['minAbsPreRelu']}, "
                  f"min max-pool gap {doc['stats']['minMaxPoolGap']}, "
                  f"input batch drawn {doc['stats']['inputAttempt'] + 1} times")
            for n in [net.input_name] + [l["name"] for l in net.layers]:
                print(f"  {n:12s} {net.shapes[n]}")
            for f in FILES:
                src = os.path.join(tmp, f)
                dst = os.path.join(dest, f)
                if args.check:
                    same = os.path.exists(dst) and _sha(src) == _sha(dst)
                    bad += not same
                    print(f"  {'same' if same else 'DIFFERS'} {dst}")
                else:
                    os.makedirs(dest, exist_ok=True)
                    shutil.copyfile(src, dst)
                    print(f"  wrote {os.path.relpath(dst, REPO)} "
                          f"({os.path.getsize(dst)} bytes, sha256 {_sha(dst)[:16]})")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if bad else 0


def doc_tensors(folder):
    import json
    with open(os.path.join(folder, "fixture.json")) as f:
        return json.load(f)["tensors"]


def _sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


if __name__ == "__main__":
    sys.exit(main())
