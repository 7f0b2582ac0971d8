// Recovery from a lost GPU device over a real Comlink MessageChannel, as the page calls it: the
// device is destroyed in the middle of a circuit query (loseDeviceForTest), the query fails saying
// the GPU was reset, and the next query runs on a new device with the model loaded again and keeps
// the same kernels as a clean run; "Try again" (loading the model again) works after a reset too.

import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { MessageChannel } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { create, globals } from 'webgpu';
import { createMicroscopeApi } from '../../src/lib/worker/api';
import { acquireDevice } from '../../src/lib/engine/gpu';
import type { Progress } from '../../src/lib/worker/jobs';
import type { MicroscopeApi } from '../../src/lib/worker/protocol';
import { WEIGHTS_DIR } from '../../tools/node/builtin';

const ORIGIN = 'http://models.test/';
/** Serves static/weights at ORIGIN. */
const fileFetch: typeof fetch = async (input) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const path = `${WEIGHTS_DIR}${url.slice(ORIGIN.length)}`;
  if (!url.startsWith(ORIGIN) || !existsSync(path)) return new Response('not found', { status: 404 });
  const body = readFileSync(path);
  return new Response(new Uint8Array(body), { headers: { 'content-length': String(body.length) } });
};

// Dawn's instance must outlive its devices; each acquire asks the adapter for a NEW device, as a page does after a reset.
Object.assign(globalThis, globals);
const gpu = create([]) as unknown as GPU;
const devices: GPUDevice[] = [];

const channels: MessageChannel[] = [];
function connect(): Comlink.Remote<MicroscopeApi> {
  const channel = new MessageChannel();
  channels.push(channel);
  const api = createMicroscopeApi({
    acquire: async () => {
      const acquired = await acquireDevice(gpu);
      devices.push(acquired.device);
      return acquired;
    },
    fetch: fileFetch,
  });
  Comlink.expose(api, channel.port1 as unknown as Comlink.Endpoint);
  return Comlink.wrap<MicroscopeApi>(channel.port2 as unknown as Comlink.Endpoint);
}
afterAll(() => {
  for (const c of channels) {
    c.port1.close();
    c.port2.close();
  }
  for (const d of devices) d.destroy();
});

const query = { target: 'node:conv3:5', images: 'class:Sandal', criterion: 'actgrad' as const, cut: { kind: 'keep' as const, value: 0.3 } };
const RESET = /^The GPU was reset \(.+\): the microscope reconnects on your next action\.$/;

describe('a lost GPU device', () => {
  it('fails the query it interrupts in plain words, then recovers on a new device with the same circuit', async () => {
    const api = connect();
    expect((await api.init()).ok).toBe(true);
    const load = await api.loadModel(`${ORIGIN}fashion-small/`);
    if (!load.ok) throw new Error(load.message);
    const clean = await api.circuit(query, 'clean');
    expect(clean.kept.some((k) => k === 1)).toBe(true);

    // a long query (every image, another target), with the device destroyed once it has started scoring
    let started!: () => void;
    const scoring = new Promise<void>((r) => (started = r));
    const interrupted = api.circuit({ ...query, images: 'all', target: 'loss' }, 'interrupted', Comlink.proxy((p: Progress) => void (p.done > 0 && started())));
    const failure = interrupted.then(() => null, (err: Error) => err);
    await Promise.race([scoring, failure]);
    expect(await api.loseDeviceForTest()).toBe(true);
    const err = await failure;
    expect(err?.message).toMatch(RESET);
    expect(devices.length).toBe(1);

    // the next action: a new device, the model loaded again, the same kernels kept
    const again = await api.circuit(query, 'again');
    expect(devices.length).toBe(2);
    expect(again.cached).toBe(false);
    expect(Array.from(again.kept)).toEqual(Array.from(clean.kept));
    expect(Array.from(again.edgeScores)).toEqual(Array.from(clean.edgeScores));
  });

  it('fails a load it interrupts in plain words; loading again ("Try again") works on a new device', async () => {
    const api = connect();
    expect((await api.init()).ok).toBe(true);
    const before = devices.length;
    let lost: Promise<boolean> | null = null;
    const interrupted = await api.loadModel(`${ORIGIN}digits/`, 'interrupted-load', Comlink.proxy(() => void (lost ??= api.loseDeviceForTest())));
    expect(await lost).toBe(true);
    expect(interrupted.ok).toBe(false);
    if (interrupted.ok) return;
    expect(interrupted.reason).toBe('gpu');
    expect(interrupted.message).toMatch(RESET);

    // the page's "Try again" loads the model again: on a new device
    const again = await api.loadModel(`${ORIGIN}digits/`);
    if (!again.ok) throw new Error(again.message);
    expect(devices.length).toBe(before + 1);
    const circuit = await api.circuit({ ...query, target: 'loss', images: 'class:3' }, 'after-load');
    expect(circuit.kept.length).toBe((await api.graph()).edgeCount);
  });
});
