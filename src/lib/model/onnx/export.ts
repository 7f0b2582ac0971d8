// Writes a circuit back as an .onnx file: the visitor's own file with every kernel outside the
// circuit set to zero in its initializer, everything else byte for byte as it was, so PyTorch
// or ONNX Runtime runs the circuit as a model.

import { ModelFormatError } from '../types';
import { onnx, decodeModel, tensorDims, tensorValues, quote, type TensorProto } from './decode';
import type { WeightOrigin } from './context';

/** One kernel layer of the circuit, as the graph numbers its kernels (src/lib/graph/types.ts KernelLayer). */
export interface PrunedLayer {
  name: string;
  rows: number;
  cols: number;
  taps: number;
  /** First graph edge of the layer; kernel (o, j) is edgeStart + o * cols + j. */
  edgeStart: number;
}

export interface PruneReport {
  bytes: Uint8Array;
  /** Kernels set to zero, per layer name. */
  zeroed: Record<string, number>;
}

/** The file with the kernels whose `kept` entry is 0 zeroed; layers without an origin (none) are refused. */
export function prunedOnnx(original: Uint8Array, origins: Record<string, WeightOrigin>, layers: PrunedLayer[], kept: Uint8Array): PruneReport {
  const proto = decodeModel(original.slice());
  const byName = new Map((proto.graph!.initializer ?? []).map((t) => [t.name ?? '', t]));
  const zeroed: Record<string, number> = {};
  for (const layer of layers) {
    const origin = origins[layer.name];
    const init = origin && byName.get(origin.initializer);
    if (!origin || !init) throw new ModelFormatError(`layer "${layer.name}" has no weight initializer in the file to prune`);
    const values = tensorValues(init, `initializer ${quote(origin.initializer)}`);
    if (values.length !== layer.rows * layer.cols * layer.taps)
      throw new ModelFormatError(`initializer ${quote(origin.initializer)} holds ${values.length} values; layer "${layer.name}" has ${layer.rows * layer.cols * layer.taps}`);
    let count = 0;
    for (let o = 0; o < layer.rows; o++)
      for (let j = 0; j < layer.cols; j++) {
        if (kept[layer.edgeStart + o * layer.cols + j]) continue;
        count++;
        const col = origin.reversedInputChannels ? layer.cols - 1 - j : j;
        for (let t = 0; t < layer.taps; t++) values[weightIndex(origin, layer, o, col, t)] = 0;
      }
    zeroed[layer.name] = count;
    writeFloats(init, values, tensorDims(init));
  }
  return { bytes: onnx.ModelProto.encode(proto).finish(), zeroed };
}

/** Where weight (o, j, t) of the microscope's [out, in, taps] layout sits in the initializer. */
function weightIndex(origin: WeightOrigin, layer: PrunedLayer, o: number, j: number, t: number): number {
  if (!origin.transposed) return (o * layer.cols + j) * layer.taps + t;
  // Initializer [in, out] with in = cols * taps.
  return (j * layer.taps + t) * layer.rows + o;
}

function writeFloats(t: TensorProto, values: Float64Array, dims: number[]): void {
  if (t.dataType !== onnx.TensorProto.DataType.FLOAT) throw new ModelFormatError(`initializer ${quote(t.name)} is not float32; only float32 weights can be pruned`);
  const out = new Float32Array(values);
  t.dims = dims;
  t.rawData = new Uint8Array(out.buffer);
  t.floatData = [];
}
