"""Upper bounds on what any image can reach for objectives read off a first-layer conv's ReLU.

For a channel of relu(conv(x)) or an edge that reads one, the objective is sum_p a_p relu(z_p)
with z affine in the pixels. Dropping the terms with a_p < 0 can only raise it, and what is
left is convex in x, so over the box of valid pixels its maximum sits at a vertex: every pixel
black or white. Cutting the output positions into BxB blocks and maximizing each block alone
over all vertices of its receptive field gives a bound no image can beat (pixels shared
between blocks may take a different value in each). Usage:
  OMP_NUM_THREADS=1 /usr/bin/python3 tools/python/first_layer_bound.py static/weights/fashion-vgg \
      channel:relu1_1:10 edge:conv1_2:11:7 [--block 2] [--json]
What some image does reach is tools/python/pixel_ascent.py's to find.
"""
import argparse, json, sys, os
import torch
import torch.nn.functional as F
sys.path.insert(0, os.path.dirname(__file__))
import mcnet


def position_weights(net, layers, objective):
    """(conv layer name, channel, a[H, W]) for a channel of a first-layer conv's ReLU or an edge reading one."""
    kind, *rest = objective.split(':')
    byname = {l['name']: l for l in layers}

    def first_conv(relu):
        """The conv behind `relu`, which must be a ReLU of a stride-1, same-padded conv of the image."""
        r = byname.get(relu)
        conv = byname.get(r['inputs'][0]) if r and r['op'] == 'relu' else None
        a = (conv or {}).get('attrs', {})
        if not conv or conv['op'] != 'conv2d' or conv['inputs'][0] != net.meta['input']['name'] \
                or list(a.get('stride', [1, 1])) != [1, 1] or a.get('padding', [0])[0] != a.get('kernel', [3])[0] // 2:
            raise SystemExit(f'{objective}: {relu} must be the ReLU of a stride-1, same-padded conv of the image')
        return conv['name']

    if kind == 'channel':
        relu, c = rest[0], int(rest[1])
        conv = first_conv(relu)
        H, W = net.shapes[conv][1:]
        return conv, c, torch.full((H, W), 1.0 / (H * W), dtype=torch.float64)
    if kind == 'edge':
        layer, o, i = rest[0], int(rest[1]), int(rest[2])
        a = byname.get(layer, {}).get('attrs', {})
        if layer not in byname or byname[layer]['op'] != 'conv2d' or list(a.get('stride', [1, 1])) != [1, 1] \
                or a.get('padding', [0])[0] != a.get('kernel', [3])[0] // 2 or a.get('groups', 1) != 1:
            raise SystemExit(f'{objective}: {layer} must be a stride-1, same-padded, ungrouped conv')
        conv = first_conv(byname[layer]['inputs'][0])
        Wt = net.mods.state_dict()[layer.replace('.', '_') + '.weight'].double()[o, i]
        H, W = net.shapes[conv][1:]
        # coefficient of input position q: (1/m) sum of the taps that read it (stride 1, same padding)
        oh, ow = net.shapes[layer][1:]
        pad = Wt.shape[0] // 2
        a = F.conv_transpose2d(torch.ones(1, 1, oh, ow, dtype=torch.float64), Wt[None, None], padding=pad)[0, 0]
        return conv, i, a / (oh * ow)
    raise SystemExit(f'unsupported objective {objective}: expected channel:RELU:C or edge:LAYER:O:I')


def bound(net, layers, objective, block, lo, hi):
    conv, c, a = position_weights(net, layers, objective)
    sd = net.mods.state_dict()
    w = sd[conv + '.weight'].double()[c]          # [Cin, K, K]
    b = float(sd[conv + '.bias'].double()[c])
    cin, K, _ = w.shape
    pad = K // 2
    H, W = a.shape
    a = a.clamp(min=0)
    total = 0.0
    cache = {}
    for r0 in range(0, H, block):
        for c0 in range(0, W, block):
            r1, c1 = min(H, r0 + block), min(W, c0 + block)
            # receptive field rows r0-pad..r1-1+pad; which of its pixels are inside the image
            rows, cols = range(r0 - pad, r1 + pad), range(c0 - pad, c1 + pad)
            inside = [(y, x) for y in rows for x in cols if 0 <= y < H and 0 <= x < W]
            key = (tuple((y - r0, x - c0) for y, x in inside), tuple(a[r0:r1, c0:c1].flatten().tolist()))
            if key in cache:
                total += cache[key]
                continue
            n = len(inside) * cin
            best = 0.0
            for chunk in range(0, 1 << n, 1 << 16):
                codes = torch.arange(chunk, min(1 << n, chunk + (1 << 16)))
                bits = ((codes[:, None] >> torch.arange(n)) & 1).double()
                vals = lo + bits * (hi - lo)            # [N, n]
                patch = torch.zeros(len(codes), cin, len(rows), len(cols), dtype=torch.float64)
                for k, (y, x) in enumerate(inside):
                    patch[:, :, y - r0 + pad, x - c0 + pad] = vals[:, k * cin:(k + 1) * cin]
                z = F.conv2d(patch, w[None], bias=torch.tensor([b], dtype=torch.float64))[:, 0]
                s = (z.clamp(min=0) * a[r0:r1, c0:c1]).sum(dim=(1, 2))
                best = max(best, float(s.max()))
            cache[key] = best
            total += best
    return total


def main():
    p = argparse.ArgumentParser()
    p.add_argument('model')
    p.add_argument('objectives', nargs='+')
    p.add_argument('--block', type=int, default=2)
    p.add_argument('--json', action='store_true', help='print {objective: bound} as JSON')
    args = p.parse_args()
    net = mcnet.load_model(args.model)
    inp = net.meta['input']
    lo = (0 - inp['mean'][0]) / inp['std'][0]
    hi = (1 - inp['mean'][0]) / inp['std'][0]
    layers = net.layers
    bounds = {o: bound(net, layers, o, args.block, lo, hi) for o in args.objectives}
    if args.json:
        print(json.dumps(bounds))
        return
    for o, v in bounds.items():
        print(f'{o}: no image in [0, 1] reaches more than {v:.4f} ({args.block}x{args.block} blocks)')


if __name__ == '__main__':
    main()
