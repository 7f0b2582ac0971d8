// What a failed model load says it was: a download that failed (network), a file that is wrong
// (format), a file that declares more than the loader's budgets or the GPU allow (size). Only a
// failed download is called one; an unexpected error while reading a file is the file's.
import { ModelDownloadError } from '$lib/model/load';
import { ModelSizeError } from '$lib/model/limits';
import { ModelFormatError } from '$lib/model/types';
import type { LoadFailure } from './protocol';

/** The failure for an error thrown while reading a model; `downloadFailed`: a file answered with an HTTP error. */
export function modelLoadFailure(err: unknown, downloadFailed = false): LoadFailure {
  const message = err instanceof Error ? err.message : String(err);
  if (downloadFailed || err instanceof ModelDownloadError) return { ok: false, reason: 'network', message };
  if (err instanceof ModelSizeError) return { ok: false, reason: 'size', message };
  if (err instanceof ModelFormatError) return { ok: false, reason: 'format', message };
  return { ok: false, reason: 'format', message: `the model file could not be read (${message.slice(0, 200)})` };
}
