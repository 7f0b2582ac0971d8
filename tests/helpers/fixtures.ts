// Reads the PyTorch golden fixtures in tests/fixtures/<case>/ (see docs/fixtures.md).

import { readFileSync } from 'node:fs';
import { parseModel } from '../../src/lib/model/load';
import type { Model } from '../../src/lib/model/types';
import type { Target } from '../../src/lib/engine/targets';

export interface Fixture {
  model: Model;
  unfolded: Model;
  batch: number;
  labels: number[];
  targets: (Target & { id: string; perImage: boolean })[];
  tensor(name: string): Float32Array;
  has(name: string): boolean;
}

const dir = (c: string) => new URL(`../fixtures/${c}/`, import.meta.url);

export function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

export function loadFixture(name: string): Fixture {
  const modelJson = JSON.parse(readFileSync(new URL('model.json', dir(name)), 'utf8'));
  const weights = toArrayBuffer(readFileSync(new URL('weights.bin', dir(name))));
  const meta = JSON.parse(readFileSync(new URL('fixture.json', dir(name)), 'utf8'));
  const bin = toArrayBuffer(readFileSync(new URL('fixture.bin', dir(name))));
  const table = meta.tensors as Record<string, { shape: number[]; offset: number }>;
  return {
    model: parseModel(modelJson, weights),
    unfolded: parseModel(modelJson, weights, { foldBatchnorm: false }),
    batch: meta.batch,
    labels: meta.labels,
    targets: meta.targets,
    has: (t) => t in table,
    tensor(t) {
      const e = table[t];
      if (!e) throw new Error(`fixture ${name} has no tensor "${t}"`);
      return new Float32Array(bin, e.offset, e.shape.reduce((a, b) => a * b, 1));
    },
  };
}
