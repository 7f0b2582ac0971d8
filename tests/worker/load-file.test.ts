// The worker's loadModelFile over a real Comlink MessageChannel, as the page calls it: an ONNX
// file's bytes (moved, not copied) with the visitor's preprocessing become the loaded model, with
// no image set and a warning saying so, and classify as a hand-written forward pass of the same
// weights; a file the importer refuses fails with reason 'format' and leaves the model before it
// loaded.

import { afterAll, describe, expect, it } from 'vitest';
import { MessageChannel } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { createMicroscopeApi } from '../../src/lib/worker/api';
import type { MicroscopeApi, Preprocessing } from '../../src/lib/worker/protocol';
import { testDevice } from '../helpers/gpu';
import { expectClose } from '../helpers/compare';
import { buildOnnx, floatTensor, seededValues } from '../helpers/onnxBuilder';
import { importOnnx } from '../../src/lib/model/onnx/import';

const channels: MessageChannel[] = [];
function connect(): Comlink.Remote<MicroscopeApi> {
  const channel = new MessageChannel();
  channels.push(channel);
  const api = createMicroscopeApi({
    acquire: async () => ({ device: await testDevice(), adapterDescription: 'test device', isFallbackAdapter: true }),
    fetch: async () => new Response('no downloads here', { status: 404 }),
  });
  Comlink.expose(api, channel.port1 as unknown as Comlink.Endpoint);
  return Comlink.wrap<MicroscopeApi>(channel.port2 as unknown as Comlink.Endpoint);
}
afterAll(() => {
  for (const c of channels) {
    c.port1.close();
    c.port2.close();
  }
});

// A 1x1 conv (3 -> 4) with bias, ReLU, global average pool, flatten, Gemm (4 -> 5) on 3x6x5 images.
const [C, H, W, F, K] = [3, 6, 5, 4, 5];
const convW = seededValues(F * C, 1), convB = seededValues(F, 2), fcW = seededValues(K * F, 3), fcB = seededValues(K, 4);
const onnxBytes = () =>
  buildOnnx({
    input: ['pixels', [1, C, H, W]],
    output: ['scores', [1, K]],
    initializers: [floatTensor('cw', [F, C, 1, 1], convW), floatTensor('cb', [F], convB), floatTensor('fw', [K, F], fcW), floatTensor('fb', [K], fcB)],
    nodes: [
      { op: 'Conv', inputs: ['pixels', 'cw', 'cb'], outputs: ['c'], attrs: { kernel_shape: [1, 1] } },
      { op: 'Relu', inputs: ['c'], outputs: ['r'] },
      { op: 'GlobalAveragePool', inputs: ['r'], outputs: ['g'] },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'fw', 'fb'], outputs: ['scores'], attrs: { transB: 1 } },
    ],
  });
const prep: Preprocessing = { height: H, width: W, mean: [0.1, 0.2, 0.3], std: [0.5, 0.25, 2], channelOrder: 'rgb', classes: ['a', 'b', 'c', 'd', 'e'] };

/** The same network written out by hand, in float64, on one CHW input. */
function handForward(x: Float32Array): number[] {
  const pooled = Array.from({ length: F }, (_, o) => {
    let sum = 0;
    for (let p = 0; p < H * W; p++) {
      let v = convB[o];
      for (let c = 0; c < C; c++) v += convW[o * C + c] * x[c * H * W + p];
      sum += Math.max(0, v);
    }
    return sum / (H * W);
  });
  return Array.from({ length: K }, (_, k) => fcB[k] + pooled.reduce((a, h, o) => a + fcW[k * F + o] * h, 0));
}

/** The bytes as the page sends them: an ArrayBuffer of their own (not a Node Buffer's shared pool), moved to the worker. */
function fileOf(bytes: Uint8Array, name: string) {
  const own = new Uint8Array(bytes.length);
  own.set(bytes);
  const file = { name, bytes: own.buffer };
  return { file, sent: Comlink.transfer(file, [file.bytes]) };
}

describe('loadModelFile', () => {
  it('imports ONNX bytes with the given preprocessing; no image set; classifies as a hand-written forward pass', async () => {
    const api = connect();
    expect((await api.init()).ok).toBe(true);
    const { file, sent } = fileOf(onnxBytes(), 'tiny.onnx');
    const loaded = await api.loadModelFile(sent, prep, 'load-file-1');
    if (!loaded.ok) throw new Error(loaded.message);
    // the bytes moved to the worker: the page's buffer is empty now
    expect(file.bytes.byteLength).toBe(0);
    expect(loaded.model.name).toBe('tiny');
    expect(loaded.model.input).toMatchObject({ channels: C, height: H, width: W, mean: prep.mean, std: prep.std });
    expect(loaded.model.classes).toEqual(prep.classes);
    expect(loaded.images).toBeNull();
    expect(loaded.imagesWarning).toMatch(/^This model has no image set yet: drop a folder of images/);
    const g = await api.graph();
    expect([g.nodeCount, g.edgeCount]).toEqual([C + F + K, C * F + F * K]);
    const x = seededValues(C * H * W, 5);
    const result = await api.classify(x.slice(), 1);
    expectClose(result.logits, handForward(x), 1e-5, 'imported model logits');
    expect(result.gpuErrors).toEqual([]);
  });

  it('a file the importer refuses is a format failure, and the model loaded before stays', async () => {
    const api = connect();
    expect((await api.init()).ok).toBe(true);
    const first = await api.loadModelFile(fileOf(onnxBytes(), 'tiny.onnx').sent, prep);
    expect(first.ok).toBe(true);
    const noise = Uint8Array.from(seededValues(100, 9), (v) => Math.floor((v + 1) * 128));
    const broken = await api.loadModelFile(fileOf(noise, 'noise.onnx').sent, prep);
    expect(broken).toEqual({ ok: false, reason: 'format', message: expect.stringMatching(/not an ONNX model/) });
    const bytes = onnxBytes();
    const truncated = await api.loadModelFile(fileOf(bytes.subarray(0, bytes.length >> 1), 'cut.onnx').sent, prep);
    expect(truncated).toMatchObject({ ok: false, reason: 'format' });
    const wrongClasses = await api.loadModelFile(fileOf(bytes, 'tiny.onnx').sent, { ...prep, classes: ['only', 'three', 'names'] });
    expect(wrongClasses).toEqual({ ok: false, reason: 'format', message: expect.stringMatching(/3 class names were given/) });
    const wrongSize = await api.loadModelFile(fileOf(bytes, 'tiny.onnx').sent, { ...prep, height: 7 });
    expect(wrongSize).toEqual({ ok: false, reason: 'format', message: expect.stringMatching(/fixed at 6x5/) });
    // the first model is still the loaded one
    const g = await api.graph();
    expect(g.nodeCount).toBe(C + F + K);
    const x = seededValues(C * H * W, 6);
    expectClose((await api.classify(x.slice(), 1)).logits, handForward(x), 1e-5, 'the earlier model after failed imports');
  });

  it('writes a circuit back as the .onnx file with every kernel outside it zeroed', async () => {
    const api = connect();
    expect((await api.init()).ok).toBe(true);
    expect((await api.loadModelFile(fileOf(onnxBytes(), 'tiny.onnx').sent, prep)).ok).toBe(true);
    const pixels = Uint8Array.from(seededValues(6 * C * H * W, 11), (v) => Math.floor((v + 1) * 127));
    const used = await api.useImageSet({ count: 6, channels: C, height: H, width: W, labels: [0, 1, 2, 0, 1, 2], classes: ['a', 'b', 'c'], splits: {}, pixels });
    expect(used.ok).toBe(true);
    const result = await api.circuit({ target: 'logit:c', images: 'all', criterion: 'actgrad', cut: { kind: 'keep', value: 0.5 }, perLayer: false });
    const out = await api.exportOnnx(result.kept);
    if (!out.ok) throw new Error(out.message);
    const again = importOnnx(new Uint8Array(out.bytes), 'tiny', prep).model;
    const original = importOnnx(onnxBytes(), 'tiny', prep).model;
    // conv kernels (1x1, one weight each): edge (o, c) is weight o*C + c; kept ones unchanged, the rest zero
    const conv = (m: typeof again) => m.layers.find((l) => l.op === 'conv2d')!.params.weight;
    let zeroed = 0;
    for (let e = 0; e < C * F; e++) {
      if (result.kept[e]) expect(conv(again)[e]).toBe(conv(original)[e]);
      else { expect(conv(again)[e]).toBe(0); zeroed++; }
    }
    expect(zeroed).toBeGreaterThan(0);
    expect(out.zeroed).toBeGreaterThanOrEqual(zeroed);
    // a model that did not come from a file has nothing to write back into
    const builtin = connect();
    await builtin.init();
    expect(await builtin.exportOnnx(new Uint8Array(3))).toMatchObject({ ok: false });
  });
});
