// One ONNX node as a converter sees it: its inputs as tensors or constants, its attributes, and
// a way to emit a microscope layer or alias its output. Messages name the node and its place.

import { ModelFormatError } from '../types';
import { Attributes, quote, type NodeProto } from './decode';
import type { ConstValue, ImportContext, TensorValue, Value } from './context';

export class NodeIO {
  readonly attrs: Attributes;
  constructor(readonly ctx: ImportContext, readonly node: NodeProto, readonly where: string, readonly opset: number) {
    this.attrs = new Attributes(node, where);
  }

  fail(msg: string): never {
    throw new ModelFormatError(`${this.where}: ${msg}`);
  }

  get inputCount(): number {
    return (this.node.input ?? []).length;
  }

  /** Input i's value; undefined when the node leaves that optional input empty. */
  value(i: number): Value | undefined {
    const name = this.node.input?.[i];
    if (!name) return undefined;
    const v = this.ctx.values.get(name);
    if (!v) this.fail(`reads ${quote(name)}, which no earlier node, initializer or graph input makes (are the nodes in order?)`);
    return v;
  }

  /** Input i as a computed tensor. A pending Pad is refused unless the consumer folds it. */
  tensor(i: number, allowPad = false): TensorValue {
    const v = this.value(i);
    if (!v) return this.fail(`input ${i + 1} is missing`);
    if (v.kind !== 'tensor') return this.fail(`input ${i + 1} is a constant here; only a computed tensor is supported in that place`);
    if (v.pad && !allowPad) this.fail(`it reads the output of a Pad; padding is supported only right before a Conv or an AveragePool`);
    return v;
  }

  /** Input i as a constant (undefined when absent). */
  constant(i: number): ConstValue | undefined {
    const v = this.value(i);
    if (!v) return undefined;
    if (v.kind !== 'const') return this.fail(`input ${i + 1} must be a constant (an initializer), but it is computed`);
    return v;
  }

  /** A required constant input with the given number of dims. */
  weight(i: number, rank: number, what: string): ConstValue {
    const c = this.constant(i);
    if (!c) return this.fail(`has no ${what}`);
    if (c.dims.length !== rank) this.fail(`its ${what} has dims [${c.dims.join(', ')}]; expected ${rank} dims`);
    return c;
  }

  layer(op: string, inputs: TensorValue[], attrs: Record<string, unknown>, params: Record<string, ConstValue | undefined> = {}): TensorValue {
    const ps: Record<string, { dims: number[]; data: Float32Array }> = {};
    for (const [k, v] of Object.entries(params)) if (v) ps[k] = { dims: v.dims, data: Float32Array.from(v.values) };
    return this.ctx.addLayer(this.node, this.where, op, inputs, attrs, ps);
  }

  output(v: Value, i = 0): void {
    this.ctx.set(this.node.output?.[i], v);
  }

  /** Refuses a node whose extra outputs (Dropout's mask, MaxPool's indices) are read later. */
  onlyFirstOutput(used: Set<string>): void {
    for (const o of (this.node.output ?? []).slice(1)) if (o && used.has(o)) this.fail(`its output ${quote(o)} is used, which the microscope does not support`);
  }
}

export type Converter = (io: NodeIO) => void;

export const constant = (dims: number[], values: ArrayLike<number>): ConstValue => ({ kind: 'const', dims, values: Float64Array.from(values) });
