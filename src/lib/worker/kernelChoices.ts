// Where the worker keeps the kernel families chosen by measurement (engine/tuning.ts), per
// adapter and shape class: IndexedDB, so a visitor's GPU is timed once; memory where IndexedDB
// is missing or refuses (private windows), so a failing database never fails a model load.

import { MemoryChoiceStore, type ChoiceStore } from '$lib/engine/tuning';

const STORE = 'choices';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

/** An IndexedDB-backed store, or null when this context has no IndexedDB. */
function indexedDbChoiceStore(dbName: string): ChoiceStore | null {
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
      return (await request(store.get(key))) as string | undefined;
    },
    async set(key, value) {
      const tx = (await open()).transaction(STORE, 'readwrite');
      tx.objectStore(STORE).put(value, key);
      await new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error ?? new Error('IndexedDB write failed'));
      });
    },
  };
}

/** IndexedDB when it works, memory otherwise. */
export function kernelChoiceStore(dbName = 'cnn-microscope-kernel-choices'): ChoiceStore {
  const memory = new MemoryChoiceStore();
  const idb = indexedDbChoiceStore(dbName);
  if (!idb) return memory;
  return {
    async get(key) {
      try {
        return (await idb.get(key)) ?? (await memory.get(key));
      } catch {
        return memory.get(key);
      }
    },
    async set(key, value) {
      await memory.set(key, value);
      await idb.set(key, value).catch(() => undefined);
    },
  };
}
