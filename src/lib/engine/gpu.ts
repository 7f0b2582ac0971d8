// Finds a WebGPU adapter and device (browser, worker or Node), asking for the adapter's
// own limits rather than the defaults, and explains plainly when there is none.

export class GpuUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuUnavailableError';
  }
}

export interface AcquiredDevice {
  device: GPUDevice;
  adapterDescription: string;
  isFallbackAdapter: boolean;
}

const LIMITS: (keyof GPUSupportedLimits)[] = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
];

export async function acquireDevice(gpu: GPU | undefined = globalThis.navigator?.gpu): Promise<AcquiredDevice> {
  if (!gpu) throw new GpuUnavailableError('This browser does not expose WebGPU (navigator.gpu is missing).');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new GpuUnavailableError('WebGPU is present but no GPU adapter is available (it may be disabled or blocklisted).');
  const requiredLimits: Record<string, number> = {};
  for (const k of LIMITS) {
    const v = adapter.limits[k];
    if (typeof v === 'number') requiredLimits[k] = v;
  }
  // Timestamps for the benchmark; subgroups for the kernels that reduce with them (Kernels.subgroups).
  const requiredFeatures = (['timestamp-query', 'subgroups'] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'microscope' });
  const info = adapter.info;
  const parts = [info?.vendor, info?.architecture, info?.device, info?.description].filter((s) => s);
  const fallback = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? info?.isFallbackAdapter ?? false;
  return {
    device,
    adapterDescription: parts.join(' ').trim() || 'unknown GPU',
    isFallbackAdapter: !!fallback,
  };
}
