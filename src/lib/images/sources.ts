// What a visitor drops or picks, as a flat list of files with their paths: folders walked
// (iteratively, every batch readEntries gives), plain files, and .zip archives opened in memory
// (zip.ts); plus the rule that names classes after the subfolders the files are in.

import { readZip, ZipError, MAX_ZIP_BYTES } from './zip';

/** One file the visitor gave, by its path inside what was given ("dog/a.png", or "a.png"). */
export interface SourceFile {
  path: string;
  /** Its bytes; rejects with a short reason ("broken zip entry") when they cannot be had. */
  open(): Promise<Blob>;
}

export interface Skipped {
  path: string;
  reason: string;
}

export interface GatheredFiles {
  files: SourceFile[];
  skipped: Skipped[];
  /** More files than MAX_FILES were given; the walk stopped there. */
  truncated: boolean;
}

/** Files looked at, at most (the walk of a huge folder stops here). */
export const MAX_FILES = 50_000;

/** The class of files that sit directly in what was given. */
export const ROOT_CLASS = 'images';

/** What can be given: the items of a drop, or files (a file input, with or without webkitdirectory). */
export type GivenItems = DataTransferItemList | ArrayLike<File>;

/** A drop's entries or files, taken at once: a DataTransferItemList is emptied when the drop event ends. */
export type TakenItem = { kind: 'entry'; entry: FileSystemEntry } | { kind: 'file'; file: File; path: string };

const isItemList = (items: GivenItems): items is DataTransferItemList =>
  typeof DataTransferItemList !== 'undefined' && items instanceof DataTransferItemList;

/** Synchronous: call it inside the drop handler, before anything awaits. */
export function takeItems(items: GivenItems): TakenItem[] {
  const out: TakenItem[] = [];
  if (isItemList(items)) {
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item.kind !== 'file') continue;
      const entry = typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
      if (entry) out.push({ kind: 'entry', entry });
      else {
        const file = item.getAsFile();
        if (file) out.push({ kind: 'file', file, path: file.name });
      }
    }
    return out;
  }
  for (let i = 0; i < items.length; i++) {
    const file = items[i];
    // a folder picker gives "folder/sub/a.png"; single files only their name
    out.push({ kind: 'file', file, path: (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name });
  }
  return out;
}

const isZipName = (name: string) => /\.zip$/i.test(name);
const isHidden = (path: string) => path.split('/').some((p) => p.startsWith('.') || p === '__MACOSX');

function readBatch(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

function entryFile(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/**
 * Every file of what was taken: folders walked with a stack (no recursion), archives expanded
 * (their entries under the archive's name without ".zip"), hidden files and macOS metadata left out.
 */
export async function gatherFiles(taken: TakenItem[], signal?: AbortSignal): Promise<GatheredFiles> {
  const files: SourceFile[] = [];
  const skipped: Skipped[] = [];
  let truncated = false;
  const add = async (path: string, open: () => Promise<File>): Promise<void> => {
    if (isHidden(path)) return;
    if (files.length >= MAX_FILES) {
      truncated = true;
      return;
    }
    if (isZipName(path)) {
      await addZip(path, await open(), files, skipped);
      return;
    }
    files.push({ path, open });
  };
  const stack: FileSystemEntry[] = [];
  for (const t of taken) {
    if (t.kind === 'file') await add(clean(t.path), async () => t.file);
    else stack.push(t.entry);
  }
  while (stack.length && !truncated) {
    signal?.throwIfAborted();
    const entry = stack.pop()!;
    const path = clean(entry.fullPath || entry.name);
    if (entry.isFile) {
      await add(path, () => entryFile(entry as FileSystemFileEntry));
    } else if (entry.isDirectory && !isHidden(path)) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      // readEntries gives a batch at a time (100 in Chrome) until an empty one
      for (let batch = await readBatch(reader); batch.length; batch = await readBatch(reader)) stack.push(...batch);
    }
  }
  return { files, skipped, truncated };
}

async function addZip(path: string, file: File, files: SourceFile[], skipped: Skipped[]): Promise<void> {
  if (file.size > MAX_ZIP_BYTES) {
    skipped.push({ path, reason: `${Math.round(file.size / 2 ** 20).toLocaleString('en-US')} MiB; archives up to ${MAX_ZIP_BYTES / 2 ** 20} MiB are opened` });
    return;
  }
  let entries;
  try {
    entries = readZip(new Uint8Array(await file.arrayBuffer()), path);
  } catch (err) {
    skipped.push({ path, reason: err instanceof ZipError ? err.message.replace(/^"[^"]*" /, '') : 'could not be read' });
    return;
  }
  const base = path.replace(/\.zip$/i, '');
  for (const e of entries) {
    const inner = `${base}/${e.path}`;
    if (files.length >= MAX_FILES) break;
    // an archive inside the archive is not opened
    files.push({
      path: inner,
      open: async () => {
        try {
          return new Blob([e.read() as Uint8Array<ArrayBuffer>]);
        } catch (err) {
          throw new Error(err instanceof ZipError ? err.message : 'broken zip entry');
        }
      },
    });
  }
}

/** "/a//b/c.png" -> "a/b/c.png". */
function clean(path: string): string {
  return path.split(/[\\/]+/).filter((p) => p && p !== '.' && p !== '..').join('/');
}

/** Orders names as people expect ("img2" before "img10"), the same on every run. */
export function compareNames(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true, sensitivity: 'base' }) || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * A class name a query can say: characters a link keeps (letters, digits, space, _ . - ( )),
 * others replaced by "_"; "all" (the query word for every image) becomes "all_".
 */
export function className(folder: string): string {
  const name = folder.normalize('NFC').replace(/[^\p{L}\p{N} _.()-]/gu, '_').replace(/\s+/g, ' ').trim().slice(0, 60) || '_';
  return name.toLowerCase() === 'all' ? 'all_' : name;
}

/** How many leading folders every path shares (what was given, e.g. the picked folder). */
export function sharedFolders(paths: string[]): number {
  const dirs = paths.map((p) => p.split('/').slice(0, -1));
  let common = dirs.length ? dirs[0].length : 0;
  for (const d of dirs) {
    let k = 0;
    while (k < common && k < d.length && d[k] === dirs[0][k]) k++;
    common = k;
  }
  return common;
}

/**
 * Classes from paths: the folders every path shares are what was given (or the first `shared`
 * folders, when fewer paths than were given are named); the first folder below them is a file's
 * class, and files directly in it are class "images". Classes are sorted by name, and names that
 * differ only in case are one class. Returns the class names and each path's class.
 */
export function classesOf(paths: string[], shared = sharedFolders(paths)): { classes: string[]; labels: number[] } {
  const names = paths.map((p) => {
    const dirs = p.split('/').slice(0, -1);
    return dirs.length > shared ? className(dirs[shared]) : ROOT_CLASS;
  });
  const byKey = new Map<string, string>();
  for (const n of names) if (!byKey.has(n.toLowerCase())) byKey.set(n.toLowerCase(), n);
  const classes = [...byKey.values()].sort(compareNames);
  const index = new Map(classes.map((c, i) => [c.toLowerCase(), i]));
  return { classes, labels: names.map((n) => index.get(n.toLowerCase())!) };
}

/**
 * At most `max` of the items, taken in turn from every class (so a large class does not crowd
 * out the others), in their original order.
 */
export function balancedSubset<T>(items: T[], classOf: (item: T) => number, max: number): T[] {
  if (items.length <= max) return items;
  const groups = new Map<number, number[]>();
  items.forEach((item, i) => {
    const c = classOf(item);
    if (!groups.has(c)) groups.set(c, []);
    groups.get(c)!.push(i);
  });
  const queues = [...groups.values()];
  const keep: number[] = [];
  for (let round = 0; keep.length < max; round++) {
    for (const q of queues) if (round < q.length && keep.length < max) keep.push(q[round]);
  }
  return keep.sort((a, b) => a - b).map((i) => items[i]);
}
