"""Plain pixel ascent in PyTorch: a value some image in [0, 1] does reach, for any channel or conv
edge objective, found independently of the microscope's optimizer (no Fourier parameters, no
transforms). --method adam (default): Adam on sigmoid pixels from many random starts. --method
pgd: projected sign-gradient ascent on the pixels themselves (a step of +-a per pixel, then
clipped to [0, 1]; a falls linearly from 0.05), the stronger search. During the first --warm
steps a small term on the map before the unit's ReLU gives units that are zero on the start a
gradient. --dataset-starts K also starts from the K evaluation images with the highest value.
--cut F (pgd) keeps to images whose spectrum is zero above F cycles per pixel: the image is
0.5 + d / max(1, 2 max|d|), d the band-limited part of the parameters minus 0.5, which spans
exactly the band-limited images in [0, 1].
Usage:
  OMP_NUM_THREADS=1 /usr/bin/python3 tools/python/pixel_ascent.py static/weights/fashion-vgg \
      edge:conv3_1:66:53 channel:relu2_1:46 [--method adam|pgd] [--steps 1500] [--restarts 32]
      [--dataset-starts 0] [--cut F] [--seed 0] [--json] [--save DIR]
--save writes each objective's best image, normalized as the model's input, as float32 .bin.
"""
import argparse, json, os, sys
import numpy as np
import torch
import torch.nn.functional as F
sys.path.insert(0, os.path.dirname(__file__))
import mcnet

THROUGH = ('relu', 'maxpool', 'avgpool', 'adaptiveavgpool', 'lrn', 'dropout')


def forward_until(net, x, last):
    """Every node's value up to and including node `last` (the rest of the net is not needed)."""
    vals = {net.input_name: x}
    for l in net.layers:
        vals[l['name']] = net._run_layer(l, [vals[i] for i in l['inputs']])
        if l['name'] == last:
            break
    return vals


def objective_fn(net, objective):
    """(value(vals) per image, the last node it reads, the map before the ReLU it reads through, its channel)."""
    byname = {l['name']: l for l in net.layers}
    kind, *rest = objective.split(':')
    if kind == 'channel' and len(rest) == 2 and rest[0] in byname:
        layer, c = rest[0], int(rest[1])
        read, value = (layer, c), lambda v: v[layer][:, c].reshape(len(v[layer]), -1).mean(1)
    elif kind == 'edge' and len(rest) == 3 and byname.get(rest[0], {}).get('op') == 'conv2d':
        l = byname[rest[0]]
        o, i, a = int(rest[1]), int(rest[2]), l['attrs']
        if a.get('groups', 1) != 1:
            raise SystemExit(f'{objective}: grouped convolutions are not supported')
        w = net.mods.state_dict()[mcnet.module_key(l['name']) + '.weight'][o:o + 1, i:i + 1]
        src = l['inputs'][0]
        read = (src, i)
        value = lambda v: F.conv2d(v[src][:, i:i + 1], w, stride=a['stride'], padding=a['padding'], dilation=a['dilation']).flatten(1).mean(1)
    else:
        raise SystemExit(f'unsupported objective {objective}: expected channel:LAYER:C or edge:CONV:O:I')
    name, relu = read[0], False
    while name in byname and byname[name]['op'] in THROUGH:
        relu = relu or byname[name]['op'] == 'relu'
        name = byname[name]['inputs'][0]
    return value, read[0], (name if relu and name in byname else None), read[1]


def band_limit(h, w, cut):
    """The image map of --cut: parameters z -> a band-limited image in [0, 1] (None: identity)."""
    if cut is None:
        return lambda z: z
    f = torch.sqrt(torch.fft.fftfreq(h)[:, None] ** 2 + torch.fft.rfftfreq(w)[None, :] ** 2)
    keep = (f <= cut).to(torch.float32)

    def image(z):
        d = torch.fft.irfft2(torch.fft.rfft2(z - 0.5) * keep, s=(h, w))
        return 0.5 + d / torch.clamp(2 * d.abs().flatten(1).max(1).values, min=1).view(-1, 1, 1, 1)
    return image


def top_images(net, folder, value, last, lo, hi, k):
    """The k evaluation images (pixels in [0, 1]) with the highest value of the objective."""
    meta = json.load(open(os.path.join(folder, 'images.json')))
    n, ch, h, w = meta['count'], meta['channels'], meta['height'], meta['width']
    pixels = torch.tensor(np.fromfile(os.path.join(folder, 'images.bin'), dtype=np.uint8).reshape(n, ch, h, w), dtype=torch.float32) / 255
    pixels = pixels[meta['splits']['evaluation']]
    with torch.no_grad():
        v = value(forward_until(net, lo + pixels * (hi - lo), last))
    return pixels[v.argsort(descending=True)[:k]]


def ascend(net, objective, lo, hi, steps, restarts, warm, seed=0, method='adam', starts=None, cut=None):
    value, last, pre, c = objective_fn(net, objective)
    inp = net.input_spec
    torch.manual_seed(seed)
    shape = (restarts, inp['channels'], inp['height'], inp['width'])
    image = band_limit(inp['height'], inp['width'], cut) if method == 'pgd' else torch.sigmoid
    if method == 'adam':
        t = torch.randn(shape) * 2
        if starts is not None:
            p = starts.clamp(0.02, 0.98)
            t = torch.cat([torch.log(p / (1 - p)), t])
    else:
        t = torch.rand(shape) if starts is None else torch.cat([starts, torch.rand(shape)])
    t.requires_grad_(True)
    opt = torch.optim.Adam([t], lr=0.05) if method == 'adam' else None
    for s in range(steps):
        vals = forward_until(net, lo + image(t) * (hi - lo), last)
        v = value(vals)
        lift = 0.01 * vals[pre][:, c].reshape(len(t), -1).mean(1) if pre and s < warm else 0
        if opt:
            opt.zero_grad()
            (-(v + lift).sum()).backward()
            opt.step()
        else:
            g, = torch.autograd.grad((v + lift).sum(), t)
            with torch.no_grad():
                t += (0.05 * (1 - s / steps) + 0.002) * g.sign()
                t.clamp_(0, 1)
    with torch.no_grad():
        x = lo + image(t) * (hi - lo)
        v = value(forward_until(net, x, last))
    k = int(v.argmax())
    return float(v[k]), x[k]


def main():
    p = argparse.ArgumentParser()
    p.add_argument('model')
    p.add_argument('objectives', nargs='+')
    p.add_argument('--steps', type=int, default=1500)
    p.add_argument('--restarts', type=int, default=32)
    p.add_argument('--warm', type=int, default=300, help='steps with the pre-ReLU lift term')
    p.add_argument('--method', choices=['adam', 'pgd'], default='adam')
    p.add_argument('--dataset-starts', type=int, default=0, help='also start from the K best evaluation images')
    p.add_argument('--cut', type=float, help='pgd: keep to images with no frequency above this (cycles per pixel)')
    p.add_argument('--seed', type=int, default=0, help='seed of the random starts')
    p.add_argument('--json', action='store_true', help='print {objective: value} as JSON')
    p.add_argument('--save', help='folder for the best images (float32, normalized input)')
    args = p.parse_args()
    if args.cut is not None and args.method != 'pgd':
        p.error('--cut needs --method pgd')
    net = mcnet.load_model(args.model)
    net.eval()
    spec = net.meta['input']
    # per-channel bounds of the normalized input: pixel 0 and pixel 1
    shape = (1, spec['channels'], 1, 1)
    lo = torch.tensor([(0 - m) / s for m, s in zip(spec['mean'], spec['std'])]).view(shape)
    hi = torch.tensor([(1 - m) / s for m, s in zip(spec['mean'], spec['std'])]).view(shape)
    found = {}
    for o in args.objectives:
        starts = None
        if args.dataset_starts > 0:
            value, last = objective_fn(net, o)[:2]
            starts = top_images(net, args.model, value, last, lo, hi, args.dataset_starts)
        v, x = ascend(net, o, lo, hi, args.steps, args.restarts, args.warm, args.seed, args.method, starts, args.cut)
        found[o] = v
        if args.save:
            os.makedirs(args.save, exist_ok=True)
            x.contiguous().numpy().astype('float32').tofile(os.path.join(args.save, o.replace(':', '_') + '.bin'))
        if not args.json:
            how = f'{args.method}, {args.restarts} random starts' + (f' + {args.dataset_starts} evaluation images' if starts is not None else '')
            band = f', no frequency above {args.cut}' if args.cut is not None else ''
            print(f'{o}: pixel ascent reaches {v:.4f} ({how}, {args.steps} steps{band})', flush=True)
    if args.json:
        print(json.dumps(found))


if __name__ == '__main__':
    main()
