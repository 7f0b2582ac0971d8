# The actgrad edge query of the benchmark in PyTorch on the CPU, for context: every
# kernel's score 1/d sum_n 1/m sum_p |a_(o<-i)(n,p) g_o(n,p)| for a class-logit target,
# computed layer by layer with the pre-sum maps made explicit (grouped conv), in batches.
import argparse, json, os, sys, time
import numpy as np
import torch
sys.path.insert(0, os.path.dirname(__file__))
import mcnet

ap = argparse.ArgumentParser()
ap.add_argument('--model', default='fashion-vgg')
ap.add_argument('--images', type=int, default=1000)
ap.add_argument('--target-class', type=int, default=5)
ap.add_argument('--batch', type=int, default=50)
a = ap.parse_args()
folder = os.path.join(os.path.dirname(__file__), '..', '..', 'static', 'weights', a.model)
net = mcnet.load_model(folder).eval()
meta = json.load(open(os.path.join(folder, 'images.json')))
spec = json.load(open(os.path.join(folder, 'model.json')))['input']
pix = np.fromfile(os.path.join(folder, 'images.bin'), dtype=np.uint8).reshape(meta['count'], meta['channels'], meta['height'], meta['width'])
n = min(a.images, meta['count'])
mean = torch.tensor(spec['mean']).view(1, -1, 1, 1)
std = torch.tensor(spec['std']).view(1, -1, 1, 1)
convs = [l for l in spec and json.load(open(os.path.join(folder, 'model.json')))['layers'] if l['op'] == 'conv2d']
t0 = time.time()
scores = {}
for s in range(0, n, a.batch):
    x = (torch.tensor(pix[s:s + a.batch], dtype=torch.float32) / 255 - mean) / std
    x.requires_grad_(True)
    outs = net(x, return_all=True)
    for l in convs:
        outs[l['name']].retain_grad()
    outs[json.load(open(os.path.join(folder, 'model.json')))['output']][:, a.target_class].sum().backward()
    with torch.no_grad():
        for l in convs:
            name = l['name']
            xin = outs[l['inputs'][0]]
            w = dict(net.named_parameters())[[k for k, _ in net.named_parameters() if k.endswith(name + '.weight') or k.endswith(name.replace('.', '_') + '.weight')][0]]
            O, I, kh, kw = w.shape
            at = l['attrs']
            # pre-sum maps of every (o, i): conv with groups=I over the input repeated O times
            wg = w.permute(1, 0, 2, 3).reshape(I * O, 1, kh, kw)
            a_maps = torch.nn.functional.conv2d(xin, wg, stride=at['stride'], padding=at['padding'], dilation=at['dilation'], groups=I)
            B, _, H, W = a_maps.shape
            a_maps = a_maps.view(B, I, O, H, W)
            g = outs[name].grad.view(B, 1, O, H, W)
            sc = (a_maps * g).abs().mean(dim=(3, 4)).sum(0).T  # [O, I]
            scores[name] = scores.get(name, 0) + sc
print(f'seconds={time.time() - t0:.3f} images={n}')
