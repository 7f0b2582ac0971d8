# Trains the microscope's built-in models reproducibly (fixed seeds, one thread, deterministic
# kernels and data order) and writes each to static/weights/<name>/: model.json + weights.bin,
# model.onnx, the held-out image set, PyTorch's predictions on it, and a model card (README.md).
#
#   OMP_NUM_THREADS=1 /usr/bin/python3 tools/python/train.py --all
#   OMP_NUM_THREADS=1 /usr/bin/python3 tools/python/train.py --model fashion-small
import argparse
import hashlib
import json
import os
import platform
import random
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before torch loads; two threads are not reproducible

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import architectures  # noqa: E402
import datasets  # noqa: E402
import mcnet  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(REPO, "static", "weights")

FASHION_LICENSE = ("Fashion-MNIST (Zalando Research, MIT License), from Debian's "
                   "`dataset-fashion-mnist` package (/usr/share/datasets/fashion-mnist).")
DIGITS_LICENSE = ("OpenCV's handwritten digits sample `digits.png`, from Debian's `opencv-doc` "
                  "package (/usr/share/doc/opencv-doc/examples/data/digits.png; upstream "
                  "samples/data/digits.png). License: Apache-2.0 AND BSD-3-Clause, the entry "
                  "covering all of OpenCV's files not listed separately (upstream relicensed to "
                  "Apache-2.0; parts remain BSD-3-Clause); see /usr/share/doc/opencv-doc/copyright.")

# Every built-in model and how it is trained. Learning rates follow a cosine schedule from
# `lr` to 0 over all steps; the optimizer is Adam.
MODELS = {
    "fashion-small": {
        "arch": architectures.fashion_small, "data": "fashion",
        "description": "Three small conv layers (8-16-32) on Fashion-MNIST; readable whole.",
        "seed": 1, "epochs": 15, "batch": 64, "lr": 2e-3, "augment": None,
    },
    "fashion-vgg": {
        "arch": architectures.fashion_vgg, "data": "fashion",
        "description": "VGG-style net, six 3x3 conv layers (32-32-64-64-128-128) on Fashion-MNIST.",
        "seed": 2, "epochs": 10, "batch": 64, "lr": 1e-3, "augment": {"pad": 2, "flip": True},
    },
    "fashion-vgg-sparse": {
        "arch": architectures.fashion_vgg, "data": "fashion",
        "description": ("fashion-vgg fine-tuned with a group-sparsity (group lasso) penalty on "
                        "every 3x3 kernel: many kernels are near zero, so circuits are sparse."),
        "seed": 3, "epochs": 5, "batch": 64, "lr": 1e-3, "augment": {"pad": 2, "flip": True},
        "init_from": "fashion-vgg", "group_lasso": 5e-4,
    },
    "digits": {
        "arch": architectures.digits, "data": "digits",
        "description": "Three conv layers (16-32-64) on OpenCV's 20x20 handwritten digits.",
        "seed": 4, "epochs": 30, "batch": 32, "lr": 2e-3, "augment": {"pad": 2, "flip": False},
    },
    "fashion-inception": {
        "arch": architectures.fashion_inception, "data": "fashion",
        "description": ("Branching net on Fashion-MNIST: stem conv, two inception blocks "
                        "(1x1, 3x3, 5x5, pool branches), two residual adds, global pooling."),
        "seed": 5, "epochs": 12, "batch": 64, "lr": 2e-3, "augment": {"pad": 2, "flip": True},
    },
}


# ----------------------------------------------------------------------------- determinism

def make_deterministic(seed):
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)


# ----------------------------------------------------------------------------- data

def load_data(kind):
    """(train_images, train_labels, test_images, test_labels, set_indices, classes, data_note).

    `set_indices` picks the shipped image set (100 per class) out of the test images."""
    if kind == "fashion":
        xtr, ytr = datasets.load_fashion("train")
        xte, yte = datasets.load_fashion("t10k")
        picked = datasets.first_per_class(yte, datasets.IMAGES_PER_CLASS)
        return xtr, ytr, xte, yte, picked, datasets.FASHION_CLASSES, FASHION_LICENSE
    if kind == "digits":
        x, y = datasets.load_digits()
        train, held = datasets.digits_split()
        picked = np.arange(len(held), dtype=np.int64)  # the whole held-out set
        return x[train], y[train], x[held], y[held], picked, datasets.DIGIT_CLASSES, DIGITS_LICENSE
    raise ValueError(kind)


def normalize(images_u8, mean, std):
    """uint8 [B,C,H,W] -> float32 (pixel/255 - mean) / std, as the microscope does."""
    x = images_u8.to(torch.float32) / 255.0
    m = torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
    return (x - m) / s


def augment(batch_u8, gen, pad, flip):
    """Random crop of the image padded by `pad` black pixels, and random horizontal flips;
    all randomness from `gen`, so the data stream is the same on every run."""
    b, c, h, w = batch_u8.shape
    padded = F.pad(batch_u8, (pad, pad, pad, pad))
    dy = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    dx = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    rows = (dy[:, None] + torch.arange(h)[None, :])  # [b, h]
    cols = (dx[:, None] + torch.arange(w)[None, :])  # [b, w]
    bi = torch.arange(b)[:, None, None, None]
    ci = torch.arange(c)[None, :, None, None]
    out = padded[bi, ci, rows[:, None, :, None], cols[:, None, None, :]]
    if flip:
        mask = torch.rand(b, generator=gen) < 0.5
        out = torch.where(mask[:, None, None, None], out.flip(-1), out)
    return out


# ----------------------------------------------------------------------------- model

def build_net(cfg, input_spec):
    layers, widths, output = cfg["arch"]()
    layers = architectures.with_widths(layers, widths)
    net = mcnet.build(layers, input_spec, output)
    init_parameters(net, layers)
    return net, layers, output


def init_parameters(net, layers):
    """He (Kaiming) normal weights for every conv/linear, zero biases, drawn in layer order
    from the seeded global generator, so the start point does not depend on how the module
    creates its parameters."""
    with torch.no_grad():
        for layer in layers:
            if layer["op"] not in ("conv2d", "linear"):
                continue
            m = module_of(net, layer["name"])
            torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            if m.bias is not None:
                m.bias.zero_()


def module_of(net, layer_name):
    return net.mods[mcnet.module_key(layer_name)]


def conv_kernel_weights(net, layers):
    return [(l["name"], module_of(net, l["name"]).weight) for l in layers if l["op"] == "conv2d"]


def group_lasso(kernels):
    """Sum over every 2D kernel W[o, i, :, :] of its L2 norm."""
    total = 0.0
    for _, w in kernels:
        total = total + torch.sqrt(w.pow(2).sum(dim=(2, 3)) + 1e-12).sum()
    return total


def kernel_sparsity(net, layers, rel=1e-2):
    """Share of 2D kernels whose L2 norm is below rel * the largest kernel norm, per conv layer
    (relative to that layer's largest kernel) and over the whole net (relative to the largest
    kernel anywhere)."""
    norms = {name: w.detach().pow(2).sum(dim=(2, 3)).sqrt() for name, w in conv_kernel_weights(net, layers)}
    gmax = max(float(n.max()) for n in norms.values())
    per_layer = {}
    small_global, total = 0, 0
    for name, n in norms.items():
        per_layer[name] = {"kernels": int(n.numel()),
                           "nearZero": int((n < rel * float(n.max())).sum())}
        small_global += int((n < rel * gmax).sum())
        total += int(n.numel())
    return {"threshold": f"norm < {rel} x max norm", "kernels": total,
            "nearZeroGlobal": small_global, "shareGlobal": small_global / total,
            "nearZeroPerLayer": sum(v["nearZero"] for v in per_layer.values()),
            "sharePerLayer": sum(v["nearZero"] for v in per_layer.values()) / total,
            "layers": per_layer}


@torch.no_grad()
def logits_of(net, images_u8, mean, std, batch=500):
    net.eval()
    out = []
    for i in range(0, len(images_u8), batch):
        out.append(net(normalize(images_u8[i:i + batch], mean, std)))
    return torch.cat(out)


def train(name, cfg, data, trained, out_dir, log):
    xtr, ytr, xte, yte = (torch.from_numpy(a) for a in data[:4])
    mean, std = datasets.mean_std(data[0])
    input_spec = {"name": "input", "channels": int(xtr.shape[1]), "height": int(xtr.shape[2]),
                  "width": int(xtr.shape[3]), "mean": mean, "std": std}
    make_deterministic(cfg["seed"])
    net, layers, output = build_net(cfg, input_spec)
    if "init_from" in cfg:
        source = load_trained(cfg["init_from"], data, trained, out_dir, log)
        net.load_state_dict(source.state_dict())
        make_deterministic(cfg["seed"])
    gen = torch.Generator().manual_seed(cfg["seed"])
    opt = torch.optim.Adam(net.parameters(), lr=cfg["lr"])
    steps_per_epoch = (len(xtr) + cfg["batch"] - 1) // cfg["batch"]
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg["epochs"] * steps_per_epoch)
    lam = cfg.get("group_lasso", 0.0)
    kernels = conv_kernel_weights(net, layers)
    aug = cfg["augment"]
    history = []
    start = time.perf_counter()
    for epoch in range(cfg["epochs"]):
        net.train()
        order = torch.randperm(len(xtr), generator=gen)
        total_loss, total_pen, n_seen, correct = 0.0, 0.0, 0, 0
        for step in range(steps_per_epoch):
            idx = order[step * cfg["batch"]:(step + 1) * cfg["batch"]]
            xb = xtr[idx]
            if aug:
                xb = augment(xb, gen, aug["pad"], aug["flip"])
            yb = ytr[idx]
            logits = net(normalize(xb, mean, std))
            loss = F.cross_entropy(logits, yb)
            objective = loss
            if lam:
                pen = group_lasso(kernels)
                objective = loss + lam * pen
                total_pen += float(pen) * len(idx)
            opt.zero_grad(set_to_none=True)
            objective.backward()
            opt.step()
            sched.step()
            total_loss += float(loss) * len(idx)
            correct += int((logits.argmax(1) == yb).sum())
            n_seen += len(idx)
        test_acc = float((logits_of(net, xte, mean, std).argmax(1) == yte).float().mean())
        entry = {"epoch": epoch + 1, "loss": total_loss / n_seen, "trainAccuracy": correct / n_seen,
                 "testAccuracy": test_acc, "seconds": time.perf_counter() - start}
        if lam:
            entry["groupLasso"] = total_pen / n_seen
            entry["nearZeroShare"] = kernel_sparsity(net, layers)["shareGlobal"]
        history.append(entry)
        log(f"[{name}] " + " ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                                     for k, v in entry.items()))
    seconds = time.perf_counter() - start
    net.eval()
    return net, layers, output, input_spec, history, seconds


def load_trained(name, data, trained, out_dir, log):
    """A trained model another one starts from: from this run, else from its folder, else
    trained (and written) now. All three give the same weights."""
    if name in trained:
        return trained[name]
    folder = os.path.join(out_dir, name)
    if os.path.exists(os.path.join(folder, "model.json")):
        log(f"starting from {folder}")
        return mcnet.load_model(folder)
    log(f"{name} is missing: training it first")
    run_model(name, out_dir, trained, log)
    return trained[name]


# ----------------------------------------------------------------------------- outputs

def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_image_set(folder, images, labels, classes, source, source_indices):
    images = np.ascontiguousarray(images, dtype=np.uint8)
    with open(os.path.join(folder, "images.bin"), "wb") as f:
        f.write(images.tobytes())
    scoring, evaluation = datasets.scoring_evaluation_split(labels)
    meta = {"format": "cnn-microscope-images/1", "count": int(images.shape[0]),
            "channels": int(images.shape[1]), "height": int(images.shape[2]),
            "width": int(images.shape[3]), "source": source,
            "sourceIndices": [int(i) for i in source_indices],
            "labels": [int(y) for y in labels], "classes": classes,
            "splits": {"scoring": scoring, "evaluation": evaluation}}
    with open(os.path.join(folder, "images.json"), "w") as f:
        json.dump(meta, f, separators=(",", ":"))
        f.write("\n")
    return scoring, evaluation


def write_predictions(folder, logits, labels, scoring, evaluation):
    logits = logits.detach().to(torch.float32).numpy()
    with open(os.path.join(folder, "predictions.bin"), "wb") as f:
        f.write(logits.astype("<f4").tobytes())
    argmax = logits.argmax(axis=1)
    labels = np.asarray(labels)
    correct = argmax == labels

    def acc(idx):
        return float(correct[idx].mean())

    meta = {"format": "cnn-microscope-predictions/1",
            "note": ("PyTorch float32 logits for every image of images.bin, in its order; "
                     "input x = (pixel/255 - mean) / std"),
            "count": int(len(labels)), "classes": int(logits.shape[1]),
            "accuracy": acc(np.arange(len(labels))), "correct": int(correct.sum()),
            "scoringAccuracy": acc(scoring), "evaluationAccuracy": acc(evaluation),
            "minTop2Margin": float(np.diff(np.sort(logits, axis=1)[:, -2:], axis=1).min()),
            "argmax": [int(a) for a in argmax],
            "logits": {"file": "predictions.bin", "dtype": "float32", "byteOrder": "little",
                       "shape": [int(logits.shape[0]), int(logits.shape[1])]}}
    with open(os.path.join(folder, "predictions.json"), "w") as f:
        json.dump(meta, f, separators=(",", ":"))
        f.write("\n")
    return meta


def describe_layers(net, layers, input_spec):
    """Rows (name, op, inputs, settings, output shape, parameters) of the layer table."""
    x = torch.zeros(1, input_spec["channels"], input_spec["height"], input_spec["width"])
    with torch.no_grad():
        values = net(x, return_all=True)
    rows = []
    for layer in layers:
        a = layer.get("attrs", {})
        op = layer["op"]
        if op == "conv2d":
            w = module_of(net, layer["name"]).weight
            setting = (f"{w.shape[1]}->{w.shape[0]}, {a['kernel'][0]}x{a['kernel'][1]}, "
                       f"stride {a['stride'][0]}, pad {a['padding'][0]}")
        elif op == "linear":
            w = module_of(net, layer["name"]).weight
            setting = f"{w.shape[1]}->{w.shape[0]}"
        elif op == "maxpool":
            setting = f"{a['kernel'][0]}x{a['kernel'][1]}, stride {a['stride'][0]}, pad {a['padding'][0]}"
        elif op == "adaptiveavgpool":
            setting = f"to {a['output'][0]}x{a['output'][1]}"
        else:
            setting = ""
        count = (sum(int(p.numel()) for p in module_of(net, layer["name"]).parameters())
                 if layer["op"] in mcnet.PARAMS else 0)
        shape = "x".join(str(s) for s in values[layer["name"]].shape[1:])
        rows.append((layer["name"], op, ", ".join(layer["inputs"]), setting, shape, count))
    return rows


def folder_size(folder):
    return sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))


def write_model_card(folder, name, cfg, net, layers, input_spec, classes, output, history,
                     seconds, full_test, preds, data_note, set_note, sparsity):
    rows = describe_layers(net, layers, input_spec)
    total_params = sum(r[5] for r in rows)
    aug = cfg["augment"]
    aug_text = ("none" if not aug else
                f"random crop of the image padded by {aug['pad']} black pixels"
                + (", random horizontal flip" if aug["flip"] else ""))
    lines = [
        f"# {name}",
        "",
        f"{cfg['description']}",
        "",
        "## Architecture",
        "",
        f"Input: {input_spec['channels']}x{input_spec['height']}x{input_spec['width']} grey, "
        f"normalized as `(pixel/255 - {input_spec['mean'][0]}) / {input_spec['std'][0]}` "
        "(mean and std of the training images). "
        f"Output: `{output}` (logits, no softmax). Parameters: {total_params:,}.",
        "",
        "| layer | op | inputs | settings | output | parameters |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]:,} |" for r in rows]
    lines += ["", "## Data", "", data_note, "", set_note, "",
              "Classes: " + ", ".join(f"{i} {c}" for i, c in enumerate(classes)) + ".", ""]
    lines += ["## Training", "",
              "```",
              f"OMP_NUM_THREADS=1 /usr/bin/python3 tools/python/train.py --model {name}",
              "```", "",
              f"- Seed {cfg['seed']}; one CPU thread; `torch.use_deterministic_algorithms(True)`; "
              "data order and augmentation from a seeded generator: a rerun gives a "
              "byte-identical `weights.bin`.",
              f"- Adam, learning rate {cfg['lr']} with a cosine schedule to 0, batch {cfg['batch']}, "
              f"{cfg['epochs']} epochs, cross-entropy; He-normal initial weights, zero biases.",
              f"- Augmentation: {aug_text}."]
    if "init_from" in cfg:
        lines.append(f"- Starts from the trained `{cfg['init_from']}` weights.")
    if cfg.get("group_lasso"):
        lines.append(f"- Group-sparsity (group lasso) penalty added to the loss: "
                     f"{cfg['group_lasso']:g} x the sum, over every 2D kernel W[o, i, :, :] of "
                     "every conv layer, of its L2 norm.")
    lines += [f"- Training time: {seconds / 60:.1f} min ({seconds:.0f} s) with PyTorch "
              f"{torch.__version__} on {platform.machine()}, 1 thread, on a shared 2-core machine.",
              "", "| epoch | loss | train acc | test acc |", "|---|---|---|---|"]
    lines += [f"| {h['epoch']} | {h['loss']:.4f} | {100 * h['trainAccuracy']:.2f}% | "
              f"{100 * h['testAccuracy']:.2f}% |" for h in history]
    lines += ["", "## Accuracy", "",
              f"- PyTorch, full test set ({full_test['count']} images): "
              f"**{100 * full_test['accuracy']:.2f}%**",
              f"- PyTorch, shipped image set (`images.bin`, {preds['count']} images): "
              f"{100 * preds['accuracy']:.2f}% (scoring half {100 * preds['scoringAccuracy']:.2f}%, "
              f"evaluation half {100 * preds['evaluationAccuracy']:.2f}%)",
              "- Accuracy computed by the microscope's engine: see tests", ""]
    if sparsity is not None:
        lines += ["## Kernel sparsity", "",
                  f"2D kernels with L2 norm below 1% of the largest kernel norm: "
                  f"**{100 * sparsity['shareGlobal']:.1f}%** of {sparsity['kernels']:,} "
                  f"(largest over the whole net); {100 * sparsity['sharePerLayer']:.1f}% "
                  "measured against each layer's own largest kernel.", "",
                  "| layer | kernels | near zero (vs layer max) |", "|---|---|---|"]
        lines += [f"| {k} | {v['kernels']:,} | {v['nearZero']:,} ({100 * v['nearZero'] / v['kernels']:.1f}%) |"
                  for k, v in sparsity["layers"].items()]
        lines.append("")
    lines += ["## Files", "",
              "| file | contents |", "|---|---|",
              "| `model.json`, `weights.bin` | the model (docs/model-format.md) |",
              "| `model.onnx` | the same model as ONNX (opset 13), for other tools |",
              "| `images.bin`, `images.json` | the image set: uint8 N x C x H x W, labels, scoring/evaluation split |",
              "| `predictions.json`, `predictions.bin` | PyTorch's argmax and float32 logits [N, classes] on the image set |",
              "",
              f"sha256 of `weights.bin`: `{sha256(os.path.join(folder, 'weights.bin'))}`", ""]
    with open(os.path.join(folder, "README.md"), "w") as f:
        f.write("\n".join(lines))


def run_model(name, out_dir, trained, log):
    cfg = MODELS[name]
    data = load_data(cfg["data"])
    xtr, ytr, xte, yte, picked, classes, data_note = data
    net, layers, output, input_spec, history, seconds = train(name, cfg, data[:4], trained,
                                                             out_dir, log)
    trained[name] = net
    folder = os.path.join(out_dir, name)
    os.makedirs(folder, exist_ok=True)
    mcnet.save_model(folder, net, name=name, description=cfg["description"],
                     input_spec=input_spec, classes=classes, output=output)
    mean, std = input_spec["mean"], input_spec["std"]
    test_logits = logits_of(net, torch.from_numpy(xte), mean, std)
    full_test = {"count": int(len(yte)),
                 "accuracy": float((test_logits.argmax(1) == torch.from_numpy(yte)).float().mean())}
    if cfg["data"] == "fashion":
        source = ("Fashion-MNIST t10k: the first 100 images of each class, in file order; "
                  "sourceIndices are their t10k indices")
        source_indices = picked
        set_note = ("Training: the 60,000 Fashion-MNIST training images. Test: the 10,000 t10k "
                    "images. Shipped image set: the first 100 t10k images of each class "
                    "(1,000), in t10k order, split per class alternately into a scoring half "
                    "and an evaluation half (500 each).")
    else:
        source = ("OpenCV digits.png, 20x20 digits centred in 28x28 (4 black pixels each side): "
                  "the 1,000 held-out digits (100 per class), in sheet order; sourceIndices are "
                  "their cell numbers in the sheet (row-major, 100 per row)")
        source_indices = datasets.digits_split()[1]
        set_note = ("Each 20x20 digit is centred in a 28x28 frame (4 black pixels on every "
                    "side, no resizing). Per class, 100 of the 500 digits are held out "
                    f"(a permutation seeded with {datasets.DIGITS_SPLIT_SEED}); the other "
                    "4,000 train. The held-out 1,000 are both the test set and the shipped "
                    "image set, in sheet order, split per class alternately into a scoring "
                    "half and an evaluation half (500 each).")
    set_images, set_labels = xte[picked], yte[picked]
    scoring, evaluation = write_image_set(folder, set_images, set_labels, classes, source,
                                          source_indices)
    preds = write_predictions(folder, test_logits[torch.from_numpy(picked)], set_labels,
                              scoring, evaluation)
    sparsity = kernel_sparsity(net, layers) if cfg["arch"] is architectures.fashion_vgg else None
    onnx_path = os.path.join(folder, "model.onnx")
    mcnet.export_onnx(net, onnx_path, input_spec)
    write_model_card(folder, name, cfg, net, layers, input_spec, classes, output, history,
                     seconds, full_test, preds, data_note, set_note, sparsity)
    summary = {"name": name, "testAccuracy": full_test["accuracy"],
               "imageSetAccuracy": preds["accuracy"], "seconds": round(seconds, 1),
               "bytes": folder_size(folder),
               "weightsSha256": sha256(os.path.join(folder, "weights.bin"))}
    if sparsity is not None:
        summary["nearZeroKernelShare"] = sparsity["shareGlobal"]
        summary["nearZeroKernelSharePerLayer"] = sparsity["sharePerLayer"]
    log("done " + json.dumps(summary))
    return summary


def main():
    parser = argparse.ArgumentParser(
        description="Train the built-in models reproducibly into static/weights/<name>/.")
    parser.add_argument("--all", action="store_true", help="train every built-in model")
    parser.add_argument("--model", action="append", choices=sorted(MODELS), default=[],
                        help="train this model (repeatable)")
    parser.add_argument("--out", default=DEFAULT_OUT, help="folder holding the model folders")
    parser.add_argument("--epochs", type=int, default=None,
                        help="override the epoch count (quick checks only; the shipped models "
                             "use their configured epochs)")
    args = parser.parse_args()
    if args.epochs is not None:
        for cfg in MODELS.values():
            cfg["epochs"] = args.epochs
    names = list(MODELS) if args.all else args.model
    if not names:
        parser.error("give --all or --model NAME")

    def log(msg):
        print(time.strftime("%H:%M:%S"), msg, flush=True)

    trained, summaries = {}, []
    for name in names:
        summaries.append(run_model(name, args.out, trained, log))
    total = sum(folder_size(os.path.join(args.out, d)) for d in os.listdir(args.out)
                if os.path.isdir(os.path.join(args.out, d)))
    log(f"static/weights total: {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
