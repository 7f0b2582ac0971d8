"""Plain pixel ascent in PyTorch: a value some image in [0, 1] does reach, for any channel or conv
edge objective, found independently of the microscope's optimizer (no Fourier parameters, no
transforms). Adam on sigmoid pixels from many random starts; during the first --warm steps a
small term on the map before the unit's ReLU gives units that are zero on the start a gradient.
Usage:
  OMP_NUM_THREADS=1 /usr/bin/python3 tools/python/pixel_ascent.py static/weights/fashion-vgg \
      edge:conv3_1:66:53 channel:relu2_1:46 [--steps 1500] [--restarts 32] [--seed 0] [--json] [--save DIR]
--save writes each objective's best image, normalized as the model's input, as float32 .bin.
"""
import argparse, json, os, sys
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


def ascend(net, objective, lo, hi, steps, restarts, warm, seed=0):
    value, last, pre, c = objective_fn(net, objective)
    inp = net.input_spec
    torch.manual_seed(seed)
    t = (torch.randn(restarts, inp['channels'], inp['height'], inp['width']) * 2).requires_grad_(True)
    opt = torch.optim.Adam([t], lr=0.05)
    for s in range(steps):
        vals = forward_until(net, lo + torch.sigmoid(t) * (hi - lo), last)
        v = value(vals)
        lift = 0.01 * vals[pre][:, c].reshape(restarts, -1).mean(1) if pre and s < warm else 0
        opt.zero_grad()
        (-(v + lift).sum()).backward()
        opt.step()
    with torch.no_grad():
        x = lo + torch.sigmoid(t) * (hi - lo)
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
    p.add_argument('--seed', type=int, default=0, help='seed of the random starts')
    p.add_argument('--json', action='store_true', help='print {objective: value} as JSON')
    p.add_argument('--save', help='folder for the best images (float32, normalized input)')
    args = p.parse_args()
    net = mcnet.load_model(args.model)
    net.eval()
    spec = net.meta['input']
    # per-channel bounds of the normalized input: pixel 0 and pixel 1
    shape = (1, spec['channels'], 1, 1)
    lo = torch.tensor([(0 - m) / s for m, s in zip(spec['mean'], spec['std'])]).view(shape)
    hi = torch.tensor([(1 - m) / s for m, s in zip(spec['mean'], spec['std'])]).view(shape)
    found = {}
    for o in args.objectives:
        v, x = ascend(net, o, lo, hi, args.steps, args.restarts, args.warm, args.seed)
        found[o] = v
        if args.save:
            os.makedirs(args.save, exist_ok=True)
            x.contiguous().numpy().astype('float32').tofile(os.path.join(args.save, o.replace(':', '_') + '.bin'))
        if not args.json:
            print(f'{o}: pixel ascent reaches {v:.4f} ({args.restarts} starts, {args.steps} steps)', flush=True)
    if args.json:
        print(json.dumps(found))


if __name__ == '__main__':
    main()
