# Data sets for the built-in models: Fashion-MNIST (Debian dataset-fashion-mnist) and the
# OpenCV handwritten digits (Debian opencv-doc), loaded as uint8 arrays [N, 1, 28, 28],
# plus the fixed held-out image sets shipped beside each model.
import gzip
import os
import zlib

import numpy as np

FASHION_DIR = "/usr/share/datasets/fashion-mnist"
DIGITS_PNG = "/usr/share/doc/opencv-doc/examples/data/digits.png"

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
DIGIT_CLASSES = [str(d) for d in range(10)]

# Held-out digits per class (the rest trains); the shipped image sets take this many per class.
DIGITS_HELD_OUT_PER_CLASS = 100
IMAGES_PER_CLASS = 100
DIGITS_SPLIT_SEED = 20240


def _read_idx(path):
    """Reads a gzipped IDX file (the MNIST container) into a numpy array."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = data[0] * 256 + data[1], data[2], data[3]
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    return body.reshape(dims).copy()


def load_fashion(split):
    """Fashion-MNIST 'train' (60,000) or 't10k' (10,000): (uint8 [N,1,28,28], int64 [N])."""
    images = _read_idx(os.path.join(FASHION_DIR, f"{split}-images-idx3-ubyte.gz"))
    labels = _read_idx(os.path.join(FASHION_DIR, f"{split}-labels-idx1-ubyte.gz"))
    return images[:, None, :, :], labels.astype(np.int64)


def _read_grey_png(path):
    """Decodes an 8-bit greyscale (or RGB/RGBA, reduced to its first channel) PNG with zlib."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    width, height = int.from_bytes(header[0:4], "big"), int.from_bytes(header[4:8], "big")
    bit_depth, colour, interlace = header[8], header[9], header[12]
    if bit_depth != 8 or interlace != 0 or colour not in (0, 2, 4, 6):
        raise ValueError(f"{path}: unsupported PNG (depth {bit_depth}, colour {colour})")
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8)
    stride = width * bpp
    rows = raw.reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.int32)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        ftype, line = rows[y, 0], rows[y, 1:].astype(np.int32)
        cur = np.zeros(stride, dtype=np.int32)
        if ftype == 0:
            cur = line
        elif ftype == 2:
            cur = (line + prev) & 255
        else:
            for x in range(stride):
                a = cur[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                if ftype == 1:
                    pred = a
                elif ftype == 3:
                    pred = (a + b) >> 1
                else:  # Paeth
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[x] = (line[x] + pred) & 255
        out[y] = cur
        prev = cur
    return out.reshape(height, width, bpp)[:, :, 0].astype(np.uint8)


def load_digits():
    """All 5,000 OpenCV digits, each 20x20 centred in a 28x28 frame (4 black pixels each side).

    digits.png is a 2000x1000 grid of 20x20 cells, 100 per row; each class fills 5 rows
    (500 digits), classes 0..9 from top to bottom. Returns (uint8 [5000,1,28,28], int64 [5000]).
    """
    sheet = _read_grey_png(DIGITS_PNG)
    if sheet.shape != (1000, 2000):
        raise ValueError(f"{DIGITS_PNG}: expected 1000x2000 pixels, got {sheet.shape}")
    cells = sheet.reshape(50, 20, 100, 20).transpose(0, 2, 1, 3).reshape(5000, 20, 20)
    images = np.zeros((5000, 1, 28, 28), dtype=np.uint8)
    images[:, 0, 4:24, 4:24] = cells
    labels = np.repeat(np.arange(10, dtype=np.int64), 500)
    return images, labels


def digits_split():
    """Indices (train, held_out) into load_digits(): 100 per class held out, chosen by a seeded
    permutation of each class; both lists sorted."""
    rng = np.random.RandomState(DIGITS_SPLIT_SEED)
    held = []
    for c in range(10):
        perm = rng.permutation(500)
        held.extend(int(c * 500 + i) for i in perm[:DIGITS_HELD_OUT_PER_CLASS])
    held = sorted(held)
    held_set = set(held)
    train = [i for i in range(5000) if i not in held_set]
    return np.array(train, dtype=np.int64), np.array(held, dtype=np.int64)


def first_per_class(labels, per_class, num_classes=10):
    """Indices of the first `per_class` images of every class, in file order."""
    picked, counts = [], [0] * num_classes
    for i, y in enumerate(labels):
        if counts[y] < per_class:
            counts[y] += 1
            picked.append(i)
    if min(counts) < per_class:
        raise ValueError("not enough images of some class")
    return np.array(picked, dtype=np.int64)


def scoring_evaluation_split(labels):
    """Splits an image set 50/50 per class: within each class, images alternate (in set order)
    between 'scoring' (even positions) and 'evaluation' (odd positions)."""
    seen, scoring, evaluation = {}, [], []
    for i, y in enumerate(labels):
        k = seen.get(int(y), 0)
        (scoring if k % 2 == 0 else evaluation).append(i)
        seen[int(y)] = k + 1
    return scoring, evaluation


def mean_std(images):
    """Per-channel mean and std of uint8 images scaled to [0, 1] (float64, rounded to 4 places)."""
    x = images.astype(np.float64) / 255.0
    mean = x.mean(axis=(0, 2, 3))
    std = x.std(axis=(0, 2, 3))
    return [round(float(m), 4) for m in mean], [round(float(s), 4) for s in std]
