// Opening the visitor's own ONNX model on the page side: reading and inspecting the file (a
// broken one is refused here, before anything is replaced), the preprocessing dialog's request
// and answer, downloading a same-origin `url:` model with progress, and the models kept in this
// browser (localModels.ts). The worker imports the bytes; MicroscopeView decides what loads.

import type { OnnxSummary, Preprocessing } from '$lib/model/onnx/import';
import type { ImportDefaults } from '$lib/ui/importSettings';
import type { Progress } from '$lib/worker/client';
import { deleteLocalModel, getLocalModel, listLocalModels, localModelName, putLocalModel, type LocalModelInfo } from '$lib/ui/localModels';
import { messageOf } from './viewClient';

/** A model file as the page holds it before the worker gets it. */
export interface ModelFileBytes {
  /** Its name in `local:<name>` links. */
  name: string;
  fileName: string;
  file: Blob;
  /** The bytes the worker gets (transferred: empty afterwards). */
  bytes: ArrayBuffer;
  /** 'file' (dropped or picked), or the `url:/path.onnx` it was downloaded from. */
  source: string;
}

/** An ONNX file read and inspected, waiting for its preprocessing. */
export interface OpenedModelFile extends ModelFileBytes {
  summary: OnnxSummary;
  /** The preprocessing chosen when this model was stored before, if it was. */
  stored: Preprocessing | null;
  /** ImageNet's preprocessing, the dialog's defaults. */
  defaults: ImportDefaults;
}

/** A model file that could not be opened: shown on the page, which keeps its model. */
export interface ImportError {
  title: string;
  message: string;
}

/** Larger files are refused before they are read (the engine keeps every weight on the GPU anyway). */
const MAX_FILE_BYTES = 2 ** 31;

export class ModelImport {
  /** The file the preprocessing dialog asks about; null while it is closed. */
  asking = $state.raw<OpenedModelFile | null>(null);
  error = $state.raw<ImportError | null>(null);
  /** The models kept in this browser, newest first. */
  stored = $state.raw<LocalModelInfo[]>([]);
  /** Why the models could not be kept or listed (no IndexedDB here, quota...); null when all is well. */
  storageError = $state<string | null>(null);
  /** The model being loaded to be kept (its name), until it is kept or fails; null otherwise. */
  keeping = $state<string | null>(null);
  private answer: ((prep: Preprocessing | null) => void) | null = null;

  /** Reads and inspects a file; null (and `error` says why) when it is not an ONNX model the importer reads. */
  async read(file: Blob, fileName: string, source: string): Promise<OpenedModelFile | null> {
    this.error = null;
    const refuse = (message: string) => {
      this.error = { title: `“${fileName}” could not be opened as a model`, message };
      return null;
    };
    if (file.size === 0) return refuse('The file is empty.');
    if (file.size > MAX_FILE_BYTES) return refuse(`The file is ${(file.size / 2 ** 30).toFixed(1)} GiB: models up to 2 GiB can be opened.`);
    let bytes: ArrayBuffer;
    try {
      bytes = await file.arrayBuffer();
    } catch (err) {
      return refuse(`The file could not be read: ${messageOf(err)}`);
    }
    let summary: OnnxSummary, defaults: ImportDefaults;
    try {
      // the ONNX reader loads with the first file (the worker has its own copy)
      const { inspectOnnx, IMAGENET_PREPROCESSING } = await import('$lib/model/onnx/import');
      defaults = IMAGENET_PREPROCESSING;
      summary = inspectOnnx(new Uint8Array(bytes));
    } catch (err) {
      return refuse((err as Error)?.name === 'ModelFormatError' ? messageOf(err) : `This is not an ONNX model the microscope can read (${messageOf(err)}).`);
    }
    const name = localModelName(fileName);
    const stored = await this.storedPreprocessing(name, source);
    return { name, fileName, file, bytes, summary, source, stored, defaults };
  }

  /** The preprocessing stored for this model (same name; for a `url:` model, from the same address), or null. */
  async storedPreprocessing(name: string, source: string): Promise<Preprocessing | null> {
    try {
      const kept = await getLocalModel(name);
      return kept && (source === 'file' || kept.source === source) ? kept.prep : null;
    } catch {
      return null;
    }
  }

  /** Opens the dialog for a file; resolves with the visitor's preprocessing, or null when they cancel. */
  ask(opened: OpenedModelFile): Promise<Preprocessing | null> {
    this.answer?.(null);
    this.asking = opened;
    return new Promise((resolve) => (this.answer = resolve));
  }

  /** The dialog's answer (null: cancelled); it closes. */
  reply(prep: Preprocessing | null): void {
    const answer = this.answer;
    this.answer = null;
    this.asking = null;
    answer?.(prep);
  }

  /** Downloads a `url:` model from this site, reporting bytes received. */
  async download(url: URL, onProgress: (p: Progress) => void, signal: AbortSignal): Promise<Blob> {
    const file = decodeURIComponent(url.pathname.split('/').pop() ?? url.pathname);
    onProgress({ phase: `Downloading ${file}`, done: 0, total: 0 });
    const response = await fetch(url, { signal, credentials: 'same-origin' });
    if (!response.ok) throw new Error(`${url.pathname} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
    const total = Number(response.headers.get('content-length')) || 0;
    if (!response.body) return response.blob();
    const reader = response.body.getReader();
    const chunks: Uint8Array<ArrayBuffer>[] = [];
    let done = 0;
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      chunks.push(next.value);
      done += next.value.length;
      if (done > MAX_FILE_BYTES) throw new Error('the file is larger than 2 GiB');
      onProgress({ phase: `Downloading ${file}`, done, total: Math.max(total, done) });
    }
    return new Blob(chunks);
  }

  /** Keeps a model that loaded, so a reload or a `local:` link opens it without asking. */
  async keep(opened: ModelFileBytes, prep: Preprocessing): Promise<void> {
    this.keeping = opened.name;
    try {
      await putLocalModel({ name: opened.name, file: opened.file, fileName: opened.fileName, size: opened.file.size, prep, savedAt: Date.now(), source: opened.source });
      this.storageError = null;
    } catch (err) {
      this.storageError = `The model could not be kept in this browser (${messageOf(err)}): a reload will ask for the file again.`;
    }
    await this.refresh();
    if (this.keeping === opened.name) this.keeping = null;
  }

  /** Whether a model of this name is kept in this browser, or about to be. */
  isKept(name: string): boolean {
    return this.keeping === name || this.stored.some((m) => m.name === name);
  }

  /** Reads the list of kept models again. */
  async refresh(): Promise<void> {
    try {
      this.stored = await listLocalModels();
    } catch (err) {
      this.stored = [];
      this.storageError = `The models kept in this browser could not be read: ${messageOf(err)}`;
    }
  }

  async remove(name: string): Promise<void> {
    try {
      await deleteLocalModel(name);
    } catch (err) {
      this.storageError = `“${name}” could not be removed: ${messageOf(err)}`;
    }
    await this.refresh();
  }

  destroy(): void {
    this.reply(null);
  }
}
