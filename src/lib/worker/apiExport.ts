// The worker API's file exports that need the model itself: a circuit written back into the
// visitor's own .onnx file (kernels outside it zeroed), for PyTorch or ONNX Runtime to run.
import * as Comlink from 'comlink';
import { prunedOnnx } from '$lib/model/onnx/export';
import { errorMessage, requireLoaded, type WorkerState } from './apiState';
import type { MicroscopeApi, OnnxExportResult } from './protocol';

export function exportMethods(state: WorkerState): Pick<MicroscopeApi, 'exportOnnx'> {
  return {
    async exportOnnx(kept: Uint8Array): Promise<OnnxExportResult> {
      try {
        const { session, onnx } = requireLoaded(state);
        if (!onnx) return { ok: false, message: 'only a model opened from an .onnx file can be exported as one' };
        const g = session.graph;
        if (kept.length !== g.edgeCount) return { ok: false, message: `the circuit has ${kept.length} kernels but the model has ${g.edgeCount}` };
        const { bytes, zeroed } = prunedOnnx(onnx.bytes, onnx.weightOrigins, g.kernelLayers, kept);
        const out = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
        const result = { ok: true as const, bytes: out.buffer as ArrayBuffer, zeroed: Object.values(zeroed).reduce((a, b) => a + b, 0) };
        return Comlink.transfer(result, [result.bytes]);
      } catch (err) {
        return { ok: false, message: errorMessage(err) };
      }
    },
  };
}
