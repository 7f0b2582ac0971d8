// Reuses GPU storage buffers by size so a stream of batches allocates nothing new.
// Byte counters let tests and benchmarks check that memory does not grow with the
// number of images, and that nothing leaks.

const ALIGN = 256;
const USAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export class BufferPool {
  private readonly device: GPUDevice;
  private readonly free = new Map<number, GPUBuffer[]>();
  private readonly sizes = new WeakMap<GPUBuffer, number>();
  /** Bytes of every live buffer the pool created (in use or free). */
  allocatedBytes = 0;
  /** Bytes handed out and not yet released. */
  inUseBytes = 0;
  /** Largest allocatedBytes ever seen. */
  peakBytes = 0;

  constructor(device: GPUDevice) {
    this.device = device;
  }

  acquire(bytes: number, label: string): GPUBuffer {
    const size = Math.ceil(Math.max(bytes, 4) / ALIGN) * ALIGN;
    if (size > this.device.limits.maxStorageBufferBindingSize) {
      throw new Error(
        `${label}: a buffer of ${size} bytes exceeds this GPU's limit of ${this.device.limits.maxStorageBufferBindingSize} bytes`,
      );
    }
    const list = this.free.get(size);
    let buf = list?.pop();
    if (!buf) {
      buf = this.device.createBuffer({ label, size, usage: USAGE() });
      this.sizes.set(buf, size);
      this.allocatedBytes += size;
      this.peakBytes = Math.max(this.peakBytes, this.allocatedBytes);
    }
    this.inUseBytes += size;
    return buf;
  }

  release(buf: GPUBuffer): void {
    const size = this.sizes.get(buf);
    if (size === undefined) {
      buf.destroy(); // not ours (e.g. a uniform buffer)
      return;
    }
    this.inUseBytes -= size;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buf);
  }

  /** Destroys the free buffers (in-use ones stay valid). */
  trim(): void {
    for (const [size, list] of this.free) {
      for (const b of list) {
        b.destroy();
        this.allocatedBytes -= size;
      }
    }
    this.free.clear();
  }
}
