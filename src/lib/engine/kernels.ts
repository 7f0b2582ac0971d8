// Compiles WGSL compute pipelines once per shader variant and turns (shader, buffers,
// uniforms, grid) into ready-to-encode dispatches. Shapes go into per-dispatch uniform
// buffers, so one pipeline serves every shape; workgroup sizes are `override` constants.

import { shaderSource, type Defines } from './shaders';
import type { BufferPool } from './bufferPool';

export interface Dispatch {
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number, number];
  /** Multiply-adds this dispatch performs (for benchmarks); 0 when not meaningful. */
  flops: number;
}

/** A uniform struct of 4-byte scalars, in WGSL field order. */
export type UniformValue = { u32: number } | { i32: number } | { f32: number } | number;

export function u32(v: number): UniformValue {
  return { u32: v };
}
export function i32(v: number): UniformValue {
  return { i32: v };
}
export function f32(v: number): UniformValue {
  return { f32: v };
}

export const DEFAULT_WORKGROUP = 64;

export class Kernels {
  readonly device: GPUDevice;
  readonly pool: BufferPool;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** Buffers owned by the current owner (a plan); released together. */
  private owned: GPUBuffer[] = [];
  /** The current owner's scratch buffers shared by slot name (see sharedScratch). */
  private shared = new Map<string, GPUBuffer>();
  /** A 16-byte zero buffer bound where an optional input is absent. */
  readonly empty: GPUBuffer;
  compiledCount = 0;
  /** Kernel family chosen per (pass, shape class) by measurement (engine/tuning.ts); absent: the op's default. */
  readonly variantChoices = new Map<string, string>();
  /** One family for every pass and shape (tests and the bench compare families); null: follow the choices. */
  forcedVariant: string | null = null;
  /**
   * Whether kernels that can reduce with subgroup operations do (WGSL `enable subgroups`): true
   * when the device has the `subgroups` feature; tests set it false to run the workgroup-memory path.
   */
  subgroups: boolean;
  /** The adapter's widest subgroup (GPUAdapterInfo.subgroupMaxSize), 0 when it does not say: sizes workgroups that reduce. */
  subgroupSize: number;

  constructor(device: GPUDevice, pool: BufferPool) {
    this.device = device;
    this.pool = pool;
    this.subgroups = device.features.has('subgroups');
    this.subgroupSize = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo?.subgroupMaxSize ?? 0;
    this.empty = device.createBuffer({
      label: 'empty',
      size: 16,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
  }

  /** The kernel family to use for a pass on a shape class: forced, else chosen, else `fallback`. */
  variantFor(key: string, fallback: string): string {
    return this.forcedVariant ?? this.variantChoices.get(key) ?? fallback;
  }

  get maxWorkgroupsPerDim(): number {
    return this.device.limits.maxComputeWorkgroupsPerDimension;
  }

  /** The compiled pipeline for a shader variant (compiled on first use, then cached). */
  pipeline(name: string, defines: Defines = {}, workgroupSize = DEFAULT_WORKGROUP): GPUComputePipeline {
    const key = `${name}|${JSON.stringify(defines)}|${workgroupSize}`;
    let p = this.pipelines.get(key);
    if (!p) {
      const code = shaderSource(name, defines);
      const module = this.device.createShaderModule({ label: name, code });
      p = this.device.createComputePipeline({
        label: key,
        layout: 'auto',
        compute: { module, entryPoint: 'main', constants: { WG: workgroupSize } },
      });
      this.pipelines.set(key, p);
      this.compiledCount++;
    }
    return p;
  }

  /** Allocates a storage buffer owned by the current owner (see takeOwned). */
  scratch(bytes: number, label: string): GPUBuffer {
    const b = this.pool.acquire(Math.max(16, bytes), label);
    this.owned.push(b);
    return b;
  }

  /**
   * A scratch buffer of at least `bytes`, shared by every dispatch of the current owner that names
   * the same slot: dispatches run in the order they are encoded, so a layer's use of it ends before
   * the next layer's begins. Only for contents used within one dispatch list.
   */
  sharedScratch(slot: string, bytes: number): GPUBuffer {
    const have = this.shared.get(slot);
    if (have && have.size >= bytes) return have;
    const b = this.scratch(bytes, `shared.${slot}`);
    this.shared.set(slot, b);
    return b;
  }

  /** Hands over every buffer allocated since the last call (uniforms and scratch). */
  takeOwned(): GPUBuffer[] {
    const o = this.owned;
    this.owned = [];
    this.shared.clear();
    return o;
  }

  private uniformBuffer(values: UniformValue[], label: string): GPUBuffer {
    const size = Math.max(16, Math.ceil((values.length * 4) / 16) * 16);
    const buf = this.device.createBuffer({
      label: `${label}.uniforms`,
      size,
      usage: GPUBufferUsage.UNIFORM,
      mappedAtCreation: true,
    });
    const range = buf.getMappedRange();
    const asU32 = new Uint32Array(range);
    const asI32 = new Int32Array(range);
    const asF32 = new Float32Array(range);
    values.forEach((v, i) => {
      if (typeof v === 'number') asU32[i] = v;
      else if ('u32' in v) asU32[i] = v.u32;
      else if ('i32' in v) asI32[i] = v.i32;
      else asF32[i] = v.f32;
    });
    buf.unmap();
    this.owned.push(buf);
    return buf;
  }

  /**
   * A dispatch of shader `name` over `threads` invocations laid out as a grid of
   * [x, y, z] threads (x is split into workgroups; x beyond the per-dimension limit
   * folds into z, which shaders undo with num_workgroups).
   * Binding 0 is the uniform struct, bindings 1.. are `buffers` in order.
   */
  dispatch(opts: {
    label: string;
    shader: string;
    defines?: Defines;
    uniforms: UniformValue[];
    buffers: GPUBuffer[];
    threads: [number, number?, number?];
    workgroupSize?: number;
    flops?: number;
  }): Dispatch {
    const wg = opts.workgroupSize ?? DEFAULT_WORKGROUP;
    const pipeline = this.pipeline(opts.shader, opts.defines ?? {}, wg);
    const uniforms = this.uniformBuffer(opts.uniforms, opts.label);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniforms } }];
    opts.buffers.forEach((buffer, i) => entries.push({ binding: i + 1, resource: { buffer } }));
    const bindGroup = this.device.createBindGroup({
      label: opts.label,
      layout: pipeline.getBindGroupLayout(0),
      entries,
    });
    let x = Math.ceil(opts.threads[0] / wg);
    const y = opts.threads[1] ?? 1;
    let z = opts.threads[2] ?? 1;
    const max = this.maxWorkgroupsPerDim;
    if (x > max) {
      if (z !== 1) throw new Error(`${opts.label}: grid too large (${x} x ${y} x ${z} workgroups)`);
      z = Math.ceil(x / max);
      x = Math.ceil(x / z);
    }
    if (y > max || z > max) throw new Error(`${opts.label}: grid too large (${x} x ${y} x ${z} workgroups)`);
    return { label: opts.label, pipeline, bindGroup, workgroups: [x, y, z], flops: opts.flops ?? 0 };
  }

  /** Records dispatches into one compute pass of `encoder`. */
  encode(encoder: GPUCommandEncoder, dispatches: Dispatch[], label = 'compute'): void {
    if (dispatches.length === 0) return;
    const pass = encoder.beginComputePass({ label });
    for (const d of dispatches) {
      pass.setPipeline(d.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
    }
    pass.end();
  }

  /** Encodes and submits dispatches right away. */
  run(dispatches: Dispatch[], label = 'compute'): void {
    const encoder = this.device.createCommandEncoder({ label });
    this.encode(encoder, dispatches, label);
    this.device.queue.submit([encoder.finish()]);
  }
}
