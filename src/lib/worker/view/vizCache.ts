// Finished feature visualizations kept across visits: IndexedDB in the browser's worker,
// a plain in-memory map where IndexedDB is missing (Node) or refuses (private windows).
// Keys name the model (with a hash of its weights), objective, settings and circuit.

import type { VizResult } from '../protocol';

/** A finished visualization as kept: the result without its timing and cache flag. */
export type VizCacheEntry = Omit<VizResult, 'ms' | 'cached'>;

export interface VizCache {
  get(key: string): Promise<VizCacheEntry | undefined>;
  set(key: string, entry: VizCacheEntry): Promise<void>;
}

export function memoryVizCache(limit = 64): VizCache {
  const entries = new Map<string, VizCacheEntry>();
  return {
    async get(key) {
      const e = entries.get(key);
      return e && { ...e, rgba: e.rgba.slice() };
    },
    async set(key, entry) {
      entries.set(key, { ...entry, rgba: entry.rgba.slice() });
      while (entries.size > limit) entries.delete(entries.keys().next().value as string);
    },
  };
}

const STORE = 'visualizations';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

/** An IndexedDB-backed cache, or null when this context has no IndexedDB. */
export function indexedDbVizCache(dbName = 'cnn-microscope-visualizations'): VizCache | null {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb) return null;
  let db: Promise<IDBDatabase> | null = null;
  const open = () =>
    (db ??= new Promise<IDBDatabase>((resolve, reject) => {
      const r = idb.open(dbName, 1);
      r.onupgradeneeded = () => r.result.createObjectStore(STORE);
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error ?? new Error('IndexedDB could not be opened'));
    }));
  return {
    async get(key) {
      const store = (await open()).transaction(STORE, 'readonly').objectStore(STORE);
      return (await request(store.get(key))) as VizCacheEntry | undefined;
    },
    async set(key, entry) {
      const tx = (await open()).transaction(STORE, 'readwrite');
      tx.objectStore(STORE).put(entry, key);
      await new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error ?? new Error('IndexedDB write failed'));
      });
    },
  };
}

/** IndexedDB when it works, memory otherwise: a failing database never fails a visualization. */
export function defaultVizCache(): VizCache {
  const memory = memoryVizCache();
  const idb = indexedDbVizCache();
  if (!idb) return memory;
  return {
    async get(key) {
      try {
        return (await idb.get(key)) ?? (await memory.get(key));
      } catch {
        return memory.get(key);
      }
    },
    async set(key, entry) {
      await memory.set(key, entry);
      try {
        await idb.set(key, entry);
      } catch {
        /* memory keeps it for this session */
      }
    },
  };
}
