# Writes the feature-visualization golden fixtures (tests/fixtures/featureviz/): for the RGB
# AlexNet-shaped miniature, the value and input gradient of objectives (channel, neuron, logit,
# probability, edge, layer, direction, sums, products, diversity) in float64 by autograd, plus
# numpy's irfft2 of Lucid-scaled spectra and Lucent's colour decorrelation. Deterministic.
"""Usage: OMP_NUM_THREADS=1 /usr/bin/python3 tools/python/featureviz_fixtures.py [--check]

Objective strings follow docs/featureviz.md; each is evaluated here independently of the
TypeScript parser (the term definitions are written out below in torch).
"""

import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcnet  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(REPO, "tests", "fixtures", "featureviz")
FORMAT = "cnn-microscope-featureviz-fixture/1"
BATCH = 3
SEED = 5005

# id, objective text, and the same objective as a torch function of (values dict, net).
DIRECTION = [((k * 37) % 11 - 5) / 4 for k in range(16)]


def mean_map(v, layer, c):
    return v[layer][:, c].reshape(v[layer].shape[0], -1).mean(1)


def edge_conv(v, net, layer, o, i):
    spec = next(l for l in net.layers if l["name"] == layer)
    a = spec["attrs"]
    m = net.mods[mcnet.module_key(layer)]
    groups = a.get("groups", 1)
    out_ch, cin_g = m.weight.shape[0], m.weight.shape[1]
    ci = (o // (out_ch // groups)) * cin_g + i
    x = v[spec["inputs"][0]][:, ci:ci + 1]
    w = m.weight[o:o + 1, i:i + 1]
    y = F.conv2d(x, w, None, a["stride"], a["padding"], a["dilation"])
    return y.reshape(y.shape[0], -1).mean(1)


def edge_linear_run(v, net, layer, o, i, run):
    spec = next(l for l in net.layers if l["name"] == layer)
    m = net.mods[mcnet.module_key(layer)]
    x = v[spec["inputs"][0]]
    return (x[:, i * run:(i + 1) * run] * m.weight[o, i * run:(i + 1) * run]).sum(1)


def diversity(y):
    b = y.shape[0]
    f = y.reshape(b, y.shape[1], -1)
    g = f @ f.transpose(1, 2)
    g = g.reshape(b, -1)
    g = g / torch.sqrt(torch.clamp((g * g).sum(1, keepdim=True), min=1e-10))
    s = 0
    for i in range(b):
        for j in range(b):
            if i != j:
                s = s + (g[i] * g[j]).sum()
    return s / b


OBJECTIVES = [
    ("channel", "channel:conv2:7", lambda v, n: mean_map(v, "conv2", 7)),
    ("channel_relu", "channel:relu3:4", lambda v, n: mean_map(v, "relu3", 4)),
    ("neuron", "neuron:conv3:9@1,2", lambda v, n: v["conv3"][:, 9, 1, 2]),
    ("logit", "logit:2", lambda v, n: v["fc2"][:, 2]),
    ("prob", "prob:3", lambda v, n: F.softmax(v["fc2"], 1)[:, 3]),
    ("edge", "edge:conv2:5:3", lambda v, n: edge_conv(v, n, "conv2", 5, 3)),
    ("edge_group1", "edge:conv2:9:1", lambda v, n: edge_conv(v, n, "conv2", 9, 1)),
    ("edge_dilated", "edge:conv3:4:6", lambda v, n: edge_conv(v, n, "conv3", 4, 6)),
    ("edge_linear", "edge:fc1:4:2", lambda v, n: edge_linear_run(v, n, "fc1", 4, 2, 4)),
    ("layer", "layer:conv3", lambda v, n: v["conv3"].reshape(v["conv3"].shape[0], -1).mean(1)),
    ("direction", "direction:conv3:" + ",".join(str(d) for d in DIRECTION),
     lambda v, n: sum(DIRECTION[c] * mean_map(v, "conv3", c) for c in range(16))),
    ("negative", "-channel:fc1:3", lambda v, n: -v["fc1"][:, 3]),
    ("sum", "channel:conv1:2 + 0.5*logit:1 - 2*prob:0",
     lambda v, n: mean_map(v, "conv1", 2) + 0.5 * v["fc2"][:, 1] - 2 * F.softmax(v["fc2"], 1)[:, 0]),
    ("product", "channel:conv2:1 * logit:4",
     lambda v, n: mean_map(v, "conv2", 1) * v["fc2"][:, 4]),
    ("product_sum", "(channel:conv1:0 + neuron:conv2:3@2,2) * (logit:0 - 0.25*channel:relu1:5)",
     lambda v, n: (mean_map(v, "conv1", 0) + v["conv2"][:, 3, 2, 2]) * (v["fc2"][:, 0] - 0.25 * mean_map(v, "relu1", 5))),
]
# Batch-level: value per image is its own term plus the batch's diversity.
DIVERSITY = ("diversity", "channel:conv3:2 - 0.5*diversity:conv2",
             lambda v, n: mean_map(v, "conv3", 2), lambda v: -0.5 * diversity(v["conv2"]))

LUCID_SVD_SQRT = np.array([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])


def lucid_scale(h, w):
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.fftfreq(w)[: w // 2 + 2] if w % 2 == 1 else np.fft.fftfreq(w)[: w // 2 + 1]
    freqs = np.sqrt(fx * fx + fy * fy)
    scale = 1.0 / np.maximum(freqs, 1.0 / max(w, h))
    return scale * np.sqrt(w * h)


def fft_case(rng, h, w):
    wf = w // 2 + 1
    coeffs = rng.standard_normal((2, h, wf))
    scale = lucid_scale(h, w)[:, :wf]
    spectrum = scale * (coeffs[0] + 1j * coeffs[1])
    image = np.fft.irfft2(spectrum, s=(h, w)) / 4.0
    interleaved = np.stack([coeffs[0], coeffs[1]], -1)   # [H, WF, 2] (re, im)
    return interleaved, image


def build(verbose=False):
    torch.set_default_dtype(torch.float64)
    net = mcnet.load_model(os.path.join(REPO, "tests", "fixtures", "alexnet-mini")).double().eval()
    spec = net.meta["input"]
    gen = torch.Generator().manual_seed(SEED)
    x = torch.randn(BATCH, spec["channels"], spec["height"], spec["width"], generator=gen, dtype=torch.float64)
    tensors = {"input": x.numpy()}
    doc_obj = []
    for oid, text, fn in OBJECTIVES:
        xi = x.clone().requires_grad_(True)
        v = net(xi, True)
        vals = fn(v, net)
        vals.sum().backward()
        tensors[f"{oid}/values"] = vals.detach().numpy()
        tensors[f"{oid}/grad"] = xi.grad.numpy()
        doc_obj.append({"id": oid, "objective": text})
    oid, text, fn, batch_fn = DIVERSITY
    xi = x.clone().requires_grad_(True)
    v = net(xi, True)
    per = fn(v, net)
    div = batch_fn(v)
    (per.sum() + div).backward()
    tensors[f"{oid}/values"] = (per + div).detach().numpy()
    tensors[f"{oid}/grad"] = xi.grad.numpy()
    doc_obj.append({"id": oid, "objective": text})
    # Diversity alone on a 1D layer too (Gram of a vector).
    xi = x.clone().requires_grad_(True)
    v = net(xi, True)
    d = diversity(v["fc1"])
    d.backward()
    tensors["diversity_fc1/value"] = np.array([d.item()])
    tensors["diversity_fc1/grad"] = xi.grad.numpy()
    tensors["diversity_fc1/activations"] = v["fc1"].detach().numpy()

    rng = np.random.default_rng(SEED)
    for h, w in ((28, 28), (35, 35), (6, 9)):
        c, img = fft_case(rng, h, w)
        tensors[f"fft/{h}x{w}/coeffs"] = c
        tensors[f"fft/{h}x{w}/image"] = img
    raw = rng.standard_normal((3, 5))
    norm = LUCID_SVD_SQRT / np.max(np.linalg.norm(LUCID_SVD_SQRT, axis=0))
    tensors["colour/raw"] = raw
    tensors["colour/pixels"] = 1 / (1 + np.exp(-(raw.T @ norm.T).T))   # Lucent: t_flat @ M^T, sigmoid

    table, blobs, offset = {}, [], 0
    for name, arr in tensors.items():
        a = np.ascontiguousarray(arr, dtype=np.float32)
        table[name] = {"shape": list(a.shape), "offset": offset}
        blobs.append(a.tobytes())
        offset += a.nbytes
    doc = {"format": FORMAT, "model": "alexnet-mini", "batch": BATCH, "seed": SEED,
           "objectives": doc_obj, "tensors": table}
    return json.dumps(doc, indent=1) + "\n", b"".join(blobs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    text, blob = build()
    if args.check:
        with open(os.path.join(OUT, "fixture.json"), encoding="utf-8") as f:
            same = f.read() == text
        with open(os.path.join(OUT, "fixture.bin"), "rb") as f:
            same = same and f.read() == blob
        print("featureviz fixtures:", "match" if same else "DIFFER")
        sys.exit(0 if same else 1)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "fixture.json"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(OUT, "fixture.bin"), "wb") as f:
        f.write(blob)
    print(f"wrote {OUT}: {len(blob)} bytes")


if __name__ == "__main__":
    main()
