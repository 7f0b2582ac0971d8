# PyTorch anchor for the conv rows of the benchmark on a lent GPU: the same layers as
# tools/bench/sections/conv.ts (CONV_LAYERS, read from that file) and the same three passes,
# fp32 with TF32 off, timed with CUDA events after a warm-up; prints GFLOP/s and JSON.
import argparse, json, os, re, sys, time

import torch
import torch.nn.functional as F

CONV_TS = os.path.join(os.path.dirname(__file__), '..', 'bench', 'sections', 'conv.ts')
PASSES = ['forward', 'backward-input', 'backward-weight']


def conv_layers():
    """CONV_LAYERS from conv.ts: name, C, O, H, W, k, pad, stride."""
    text = open(CONV_TS, encoding='utf8').read()
    block = text[text.index('export const CONV_LAYERS'):]
    block = block[:block.index('];')]
    layers = []
    for m in re.finditer(r"\{\s*name:\s*'([^']+)'([^}]*)\}", block):
        fields = dict(re.findall(r'(\w+):\s*(\d+)', m.group(2)))
        layers.append({'name': m.group(1), **{k: int(fields[k]) for k in ('C', 'O', 'H', 'W', 'k', 'pad', 'stride')}})
    if not layers:
        sys.exit(f'no CONV_LAYERS found in {CONV_TS}')
    return layers


def out_len(n, l):
    return (n + 2 * l['pad'] - l['k']) // l['stride'] + 1


def make_pass(l, n, device, name):
    g = torch.Generator(device='cpu').manual_seed(7)
    x = torch.rand(n, l['C'], l['H'], l['W'], generator=g).to(device) * 2 - 1
    w = (torch.rand(l['O'], l['C'], l['k'], l['k'], generator=g).to(device) * 2 - 1) * 0.1
    dy = torch.rand(n, l['O'], out_len(l['H'], l), out_len(l['W'], l), generator=g).to(device) * 2 - 1
    s, p = l['stride'], l['pad']
    if name == 'forward':
        return lambda: F.conv2d(x, w, stride=s, padding=p)
    if name == 'backward-input':
        return lambda: torch.nn.grad.conv2d_input(x.shape, w, dy, stride=s, padding=p)
    return lambda: torch.nn.grad.conv2d_weight(x, w.shape, dy, stride=s, padding=p)


def time_ms(fn, device, min_ms, runs):
    """Median ms of one call: warm-up, then repeats per run grown until a run lasts min_ms."""
    sync = torch.cuda.synchronize if device.type == 'cuda' else (lambda: None)
    for _ in range(3):
        fn()
    sync()
    reps, times = 1, []
    while True:
        if device.type == 'cuda':
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            for _ in range(reps):
                fn()
            b.record()
            b.synchronize()
            ms = a.elapsed_time(b)
        else:
            t0 = time.perf_counter()
            for _ in range(reps):
                fn()
            ms = (time.perf_counter() - t0) * 1000
        if ms >= min_ms or reps >= 1 << 16:
            break
        reps *= 2
    times.append(ms / reps)
    for _ in range(runs - 1):
        if device.type == 'cuda':
            a.record()
            for _ in range(reps):
                fn()
            b.record()
            b.synchronize()
            times.append(a.elapsed_time(b) / reps)
        else:
            t0 = time.perf_counter()
            for _ in range(reps):
                fn()
            times.append((time.perf_counter() - t0) * 1000 / reps)
    times.sort()
    return times[len(times) // 2]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--batch', type=int, default=64, help='images per pass (default 64)')
    ap.add_argument('--layers', default='', help='comma-separated layer names (default all)')
    ap.add_argument('--min-ms', type=float, default=50, help='shortest timed run (default 50)')
    ap.add_argument('--runs', type=int, default=5, help='timed runs, median reported (default 5)')
    ap.add_argument('--out', default='', help='JSON output path')
    args = ap.parse_args()

    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    if torch.cuda.is_available():
        device = torch.device('cuda')
        name = torch.cuda.get_device_name(0)
        torch.backends.cudnn.benchmark = True
    elif os.environ.get('ALLOW_SOFTWARE_ADAPTER') == '1':
        device, name = torch.device('cpu'), 'CPU (no CUDA: ALLOW_SOFTWARE_ADAPTER=1, not a GPU anchor)'
        print('torch_conv: NO CUDA, running on the CPU because ALLOW_SOFTWARE_ADAPTER=1', flush=True)
    else:
        sys.exit('torch_conv: no CUDA device (set ALLOW_SOFTWARE_ADAPTER=1 to run on the CPU)')

    layers = conv_layers()
    if args.layers:
        want = args.layers.split(',')
        layers = [l for l in layers if l['name'] in want]
    print(f'torch {torch.__version__} on {name}; fp32, TF32 off; batch {args.batch}; median of {args.runs}', flush=True)
    rows = []
    for l in layers:
        flops = 2 * args.batch * out_len(l['H'], l) * out_len(l['W'], l) * l['O'] * l['C'] * l['k'] * l['k']
        for p in PASSES:
            ms = time_ms(make_pass(l, args.batch, device, p), device, args.min_ms, args.runs)
            gflops = flops / (ms * 1e6)
            rows.append({'layer': l['name'], 'pass': p, 'batch': args.batch, 'flops': flops, 'ms': ms, 'gflops': gflops})
            print(f"  {l['name']:6} {p:16} {gflops:10.1f} GFLOP/s  ({ms:.3f} ms, batch {args.batch})", flush=True)
    if args.out:
        with open(args.out, 'w', encoding='utf8') as f:
            json.dump({'device': name, 'torch': torch.__version__, 'tf32': False, 'rows': rows}, f, indent=1)


if __name__ == '__main__':
    main()
