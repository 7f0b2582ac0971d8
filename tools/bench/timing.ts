// Times a list of engine dispatches as one compute pass: one untimed warm-up, then the
// median of several runs, each waited with queue.onSubmittedWorkDone(). Uses GPU timestamp
// queries when the device has them and they look sane, else the wall clock.

import type { Dispatch } from '../../src/lib/engine/kernels';

export interface Timing {
  /** Median ms of one run. */
  ms: number;
  /** 'timestamp' when every timed run had a sane GPU timestamp, else 'wall'. */
  source: 'timestamp' | 'wall';
  /** Every timed run, ms (of the chosen source). */
  samples: number[];
  /** Wall-clock samples, ms (always kept, for comparison). */
  wallSamples: number[];
}

/** A warm-up longer than this (ms) caps the timed runs at LONG_RUNS. */
export const LONG_MS = 1500;
export const LONG_RUNS = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Throws if any validation, out-of-memory or internal error was raised while running f. */
export async function withGpuErrorCheck<T>(device: GPUDevice, what: string, f: () => Promise<T>): Promise<T> {
  device.pushErrorScope('validation');
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('internal');
  let result: T;
  try {
    result = await f();
  } finally {
    const errors = (await Promise.all([device.popErrorScope(), device.popErrorScope(), device.popErrorScope()])).filter((e) => e);
    if (errors.length) throw new Error(`${what}: WebGPU error: ${errors.map((e) => e!.message).join('; ')}`);
  }
  return result;
}

export class Timer {
  readonly device: GPUDevice;
  readonly timestamps: boolean;
  private querySet: GPUQuerySet | null = null;
  private resolveBuf: GPUBuffer | null = null;
  private readBuf: GPUBuffer | null = null;

  constructor(device: GPUDevice, useTimestamps: boolean) {
    this.device = device;
    this.timestamps = useTimestamps && device.features.has('timestamp-query');
    if (this.timestamps) {
      this.querySet = device.createQuerySet({ label: 'bench.timestamps', type: 'timestamp', count: 2 });
      this.resolveBuf = device.createBuffer({
        label: 'bench.timestamps.resolve',
        size: 16,
        usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      });
      this.readBuf = device.createBuffer({
        label: 'bench.timestamps.read',
        size: 16,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
    }
  }

  /** Runs the dispatches once as one pass; returns wall ms and GPU ms (NaN when unavailable). */
  async once(dispatches: Dispatch[], label = 'bench'): Promise<{ wall: number; gpu: number }> {
    const encoder = this.device.createCommandEncoder({ label });
    const pass = encoder.beginComputePass({
      label,
      ...(this.querySet ? { timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : {}),
    });
    for (const d of dispatches) {
      pass.setPipeline(d.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
    }
    pass.end();
    if (this.querySet) {
      encoder.resolveQuerySet(this.querySet, 0, 2, this.resolveBuf!, 0);
      encoder.copyBufferToBuffer(this.resolveBuf!, 0, this.readBuf!, 0, 16);
    }
    const commands = encoder.finish();
    const t0 = performance.now();
    this.device.queue.submit([commands]);
    await this.device.queue.onSubmittedWorkDone();
    const wall = performance.now() - t0;
    let gpu = NaN;
    if (this.readBuf) {
      await this.readBuf.mapAsync(GPUMapMode.READ);
      const [begin, end] = new BigUint64Array(this.readBuf.getMappedRange().slice(0));
      this.readBuf.unmap();
      gpu = Number(end - begin) / 1e6;
    }
    return { wall, gpu };
  }

  /**
   * One warm-up run (skipped when the caller already ran these dispatches and passes its
   * wall ms as warmupMs), then the median of `runs` timed runs; runs longer than LONG_MS
   * get at most LONG_RUNS timed runs so the whole benchmark stays within minutes.
   */
  async measure(dispatches: Dispatch[], runs: number, label = 'bench', warmupMs?: number): Promise<Timing> {
    return withGpuErrorCheck(this.device, label, async () => {
      const warm = warmupMs ?? (await this.once(dispatches, label)).wall;
      const n = warm > LONG_MS ? Math.min(runs, LONG_RUNS) : runs;
      const wall: number[] = [];
      const gpu: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = await this.once(dispatches, label);
        wall.push(t.wall);
        gpu.push(t.gpu);
      }
      // Sane: positive, finite, and not longer than the wall clock that contains it.
      const sane = gpu.every((g, i) => Number.isFinite(g) && g > 0 && g <= wall[i] * 1.05 + 0.05);
      return sane
        ? { ms: median(gpu), source: 'timestamp', samples: gpu, wallSamples: wall }
        : { ms: median(wall), source: 'wall', samples: wall, wallSamples: wall };
    });
  }
}
