// Models the visitor opened from their own files, kept in this browser's IndexedDB (the file, its
// name and the preprocessing they chose), so that a reload or a `local:<name>` link opens them
// again without asking. Nothing here leaves the machine; another browser has none of them.

import { isLocalModelName } from '$lib/state/url';
import type { Preprocessing } from '$lib/model/onnx/import';

export interface LocalModel {
  /** The name in `local:<name>` links (the store's key). */
  name: string;
  /** The file as opened (an ONNX file). */
  file: Blob;
  fileName: string;
  size: number;
  prep: Preprocessing;
  /** When it was stored (ms since the epoch). */
  savedAt: number;
  /** Where it came from: 'file' (dropped or picked), or the `url:/path.onnx` it was opened from. */
  source: string;
}

/** A stored model without its bytes, for lists. */
export type LocalModelInfo = Omit<LocalModel, 'file'>;

const DB_NAME = 'cnn-microscope-models';
const STORE = 'models';

/** A stored model's name for a file: its name without .onnx, reduced to what a `local:` link allows. */
export function localModelName(fileName: string): string {
  const base = fileName.replace(/^.*[/\\]/, '').replace(/\.onnx$/i, '');
  const clean = base
    .replace(/[^\p{L}\p{N} _.()-]+/gu, '-')
    .replace(/^[ .]+/, '')
    .slice(0, 64)
    .trim();
  return isLocalModelName(clean) ? clean : 'model';
}

let opened: Promise<IDBDatabase> | null = null;

function database(): Promise<IDBDatabase> {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb) return Promise.reject(new Error('this browser keeps no IndexedDB storage here (a private window?)'));
  return (opened ??= new Promise<IDBDatabase>((resolve, reject) => {
    const r = idb.open(DB_NAME, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE, { keyPath: 'name' });
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => {
      opened = null;
      reject(r.error ?? new Error('IndexedDB could not be opened'));
    };
  }));
}

/** Runs one request in its own transaction; resolves when the transaction is done. */
async function run<T>(mode: IDBTransactionMode, make: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const tx = (await database()).transaction(STORE, mode);
  const r = make(tx.objectStore(STORE));
  return new Promise<T>((resolve, reject) => {
    tx.oncomplete = () => resolve(r.result);
    tx.onabort = tx.onerror = () => reject(tx.error ?? r.error ?? new Error('IndexedDB request failed'));
  });
}

/** Every stored model, newest first, without their bytes. */
export async function listLocalModels(): Promise<LocalModelInfo[]> {
  const all = (await run('readonly', (s) => s.getAll())) as LocalModel[];
  return all.map(({ file: _file, ...info }) => info).sort((a, b) => b.savedAt - a.savedAt);
}

/** A stored model, or null when this browser has none of that name. */
export async function getLocalModel(name: string): Promise<LocalModel | null> {
  return ((await run('readonly', (s) => s.get(name))) as LocalModel | undefined) ?? null;
}

/** Stores a model (replacing one of the same name). */
export async function putLocalModel(model: LocalModel): Promise<void> {
  await run('readwrite', (s) => s.put(model));
}

export async function deleteLocalModel(name: string): Promise<void> {
  await run('readwrite', (s) => s.delete(name));
}
