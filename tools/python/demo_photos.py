"""Writes static/images/demo-photos/: a small image set of public-domain photographs for
imported models (224x224 RGB), in the built-in image-set format (images.json + images.bin, see
src/lib/images/imageSet.ts), from the sample photos Debian's python3-skimage ships.

Each photo gives a few views (the centre crop that covers 224x224, its mirror image, a closer
crop); grey photos are repeated into RGB. Resizing is an exact area average written here in
numpy (the same rule as src/lib/images/resize.ts), so the output does not depend on Pillow's
resampler: the same skimage files give the same bytes. Every image is in both the "scoring"
and the "evaluation" split.

    /usr/bin/python3 tools/python/demo_photos.py            # writes static/images/demo-photos/
    /usr/bin/python3 tools/python/demo_photos.py --check    # compares with what is there
"""

import argparse
import hashlib
import json
import os
import sys

import numpy as np
from PIL import Image

SIZE = 224
FORMAT = "cnn-microscope-images/1"

# class -> [(skimage file, [views])]; a view is "cover" | "mirror" | "fit" | "fit-mirror" |
# ("zoom", cx, cy, f): the largest centred square, mirrored or not; the whole photo centred on a
# white square (mirrored or not); or a square of f x the short side centred at (cx, cy) as
# fractions of the width and height. Only photos whose skimage documentation states
# public-domain status or no copyright restrictions are used (README.md in the output folder).
PHOTOS = {
    "cat": [("chelsea.png", ["cover", "mirror", ("zoom", 0.45, 0.5, 0.8)])],
    "coffee": [("coffee.png", ["cover", "mirror", ("zoom", 0.5, 0.45, 0.7)])],
    "coins": [("coins.png", ["cover", "mirror", ("zoom", 0.3, 0.35, 0.6)])],
    "galaxy": [("hubble_deep_field.jpg", ["cover", "mirror", ("zoom", 0.3, 0.6, 0.45)])],
    "horse": [("horse.png", ["fit", "fit-mirror"])],
    "person": [("astronaut.png", ["cover", ("zoom", 0.42, 0.3, 0.55)]), ("camera.png", ["cover"])],
    "rocket": [("rocket.jpg", ["cover", "mirror", ("zoom", 0.55, 0.45, 0.6)])],
}

SOURCES = {
    "chelsea.png": "Chelsea the cat; CC0 by the photographer (Stefan van der Walt)",
    "coffee.png": "Coffee cup; CC0 by the photographer (Rachel Michetti)",
    "coins.png": "Greek coins from Pompeii (Brooklyn Museum Collection); no known copyright restrictions",
    "hubble_deep_field.jpg": "Hubble eXtreme Deep Field; captured by NASA, may be freely used in the public domain",
    "horse.png": "Silhouette of a horse (openclipart); CC0 given by the owner (Andreas Preuss)",
    "astronaut.png": "The astronaut Eileen Collins (NASA Great Images); no known copyright restrictions, public domain",
    "camera.png": "Man with a camera; CC0 by the photographer (Lav Varshney)",
    "rocket.jpg": "Launch of DSCOVR on Falcon 9 (SpaceX); released into the public domain",
}


def skimage_data_dir():
    import skimage.data

    return skimage.data.data_dir


def load_rgb(path):
    """The photo as float64 RGB in [0, 255]; grey repeated, transparency over white (the horse is black on clear)."""
    im = Image.open(path)
    if im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        white = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, im)
    a = np.asarray(im.convert("RGB"), dtype=np.float64)
    return a


def area_weights(src, dst):
    """[dst, src] matrix: each output cell's normalized overlap with each source pixel."""
    w = np.zeros((dst, src))
    scale = src / dst
    for i in range(dst):
        lo, hi = i * scale, (i + 1) * scale
        for s in range(int(np.floor(lo)), min(src, int(np.ceil(hi)))):
            w[i, s] = min(hi, s + 1) - max(lo, s)
        w[i] /= w[i].sum()
    return w


def resize_area(a, h, w):
    """Exact area-average resize of an [H, W, C] array."""
    wy = area_weights(a.shape[0], h)
    wx = area_weights(a.shape[1], w)
    return np.einsum("ys,sxc->yxc", wy, np.einsum("xt,stc->sxc", wx, a))


def view(a, spec):
    H, W = a.shape[:2]
    if spec in ("fit", "fit-mirror"):
        side = max(H, W)
        square = np.full((side, side, 3), 255.0)
        y, x = (side - H) // 2, (side - W) // 2
        square[y:y + H, x:x + W] = a
        return square[:, ::-1] if spec == "fit-mirror" else square
    if spec in ("cover", "mirror"):
        side = min(H, W)
        y, x = (H - side) // 2, (W - side) // 2
        crop = a[y:y + side, x:x + side]
        return crop[:, ::-1] if spec == "mirror" else crop
    _, cx, cy, f = spec
    side = int(round(f * min(H, W)))
    x = min(max(0, int(round(cx * W - side / 2))), W - side)
    y = min(max(0, int(round(cy * H - side / 2))), H - side)
    return a[y:y + side, x:x + side]


def describe(spec):
    return spec if isinstance(spec, str) else f"zoom {spec[3]:g} at ({spec[1]:g}, {spec[2]:g})"


def build(data_dir):
    classes = sorted(PHOTOS)
    images, labels, sources = [], [], []
    for c, name in enumerate(classes):
        for file, views in PHOTOS[name]:
            a = load_rgb(os.path.join(data_dir, file))
            for spec in views:
                out = resize_area(view(a, spec), SIZE, SIZE)
                px = np.floor(np.clip(out, 0, 255) + 0.5).astype(np.uint8)
                images.append(px.transpose(2, 0, 1))  # CHW
                labels.append(c)
                sources.append(f"{file}: {describe(spec)}")
    pixels = np.stack(images).tobytes()
    n = len(labels)
    index = {
        "format": FORMAT,
        "count": n,
        "channels": 3,
        "height": SIZE,
        "width": SIZE,
        "source": "Public-domain sample photographs shipped with scikit-image (skimage.data, Debian python3-skimage); "
        "each photo as a few 224x224 views: the centred square, its mirror image, a closer crop (the horse whole, on white); made by tools/python/demo_photos.py",
        "classes": classes,
        "labels": labels,
        "splits": {"scoring": list(range(n)), "evaluation": list(range(n))},
        "views": sources,
    }
    return index, pixels


README = """# Demo photos

A small image set for models you import (224x224 RGB; the page converts it to the model's
input size and channels when it loads): {count} views of {photos} public-domain photographs in
{classes} classes ({class_list}). Every image is in both the scoring and the evaluation split.

Made by `tools/python/demo_photos.py` from the sample images of scikit-image (`skimage.data`,
Debian's `python3-skimage` {version}): each photo's centred square, its mirror image and a
closer crop (the horse silhouette whole, on white), scaled by exact area averaging; grey photos
are repeated into RGB. `images.json` lists each image's source and view.

## Licence

Only photos whose scikit-image documentation (the docstring of each `skimage.data` function,
in `skimage/data/_fetchers.py`) states that they are in the public domain, CC0, or free of
known copyright restrictions are used:

{sources}

Debian's `skimage/data/README.txt` only says that the folder holds "sample data from
scikit-image"; the status of each photo above is quoted from its function's documentation.
Sample photos without such a statement there (the Middlebury stereo motorcycle, the moon, the
scanned page) are left out.
"""


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "static", "images", "demo-photos"))
    p.add_argument("--check", action="store_true", help="compare with the files there instead of writing")
    args = p.parse_args()
    import skimage

    data_dir = skimage_data_dir()
    index, pixels = build(data_dir)
    used = sorted({f for name in PHOTOS for f, _ in PHOTOS[name]})
    readme = README.format(
        count=index["count"],
        photos=len(used),
        classes=len(index["classes"]),
        class_list=", ".join(index["classes"]),
        version=skimage.__version__,
        sources="\n".join(f"- `{f}`: {SOURCES[f]}" for f in used),
    )
    files = {
        "images.json": ("{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in index.items()) + "\n}\n").encode(),
        "images.bin": pixels,
        "README.md": readme.encode(),
    }
    out = os.path.normpath(args.out)
    if args.check:
        bad = [f for f, b in files.items() if not os.path.exists(os.path.join(out, f)) or open(os.path.join(out, f), "rb").read() != b]
        print("differs: " + ", ".join(bad) if bad else f"{out}: up to date")
        sys.exit(1 if bad else 0)
    os.makedirs(out, exist_ok=True)
    for f, b in files.items():
        with open(os.path.join(out, f), "wb") as fh:
            fh.write(b)
        print(f"{os.path.join(out, f)}: {len(b):,} bytes, sha256 {hashlib.sha256(b).hexdigest()[:16]}")
    print(f"{index['count']} images, classes {', '.join(index['classes'])}")


if __name__ == "__main__":
    main()
