// What a failed model load is called: only a failed download is "could not be downloaded";
// a file the loader refuses is a format or size problem, and an unexpected error while reading
// a file (a RangeError, say) is the file's, not the network's.
import { describe, expect, it } from 'vitest';
import { fetchModel, ModelDownloadError } from '../../src/lib/model/load';
import { ModelSizeError } from '../../src/lib/model/limits';
import { ModelFormatError } from '../../src/lib/model/types';
import { modelLoadFailure } from '../../src/lib/worker/loadFailure';

/** A fetch that answers from a table of url -> body (a missing url is a 404). */
const stub = (files: Record<string, BodyInit | Error>): typeof fetch => async (input) => {
  const body = files[String(input)];
  if (body instanceof Error) throw body;
  return body === undefined ? new Response('not found', { status: 404 }) : new Response(body, { status: 200 });
};

async function failureOf(files: Record<string, BodyInit | Error>) {
  try {
    await fetchModel('m/', stub(files));
  } catch (err) {
    return modelLoadFailure(err);
  }
  throw new Error('the model loaded');
}

describe('load failures say what went wrong', () => {
  it('an HTTP error or a failed fetch is a download failure', async () => {
    expect(await failureOf({})).toMatchObject({ reason: 'network', message: 'could not load m/model.json: HTTP 404' });
    expect(await failureOf({ 'm/model.json': new TypeError('Failed to fetch') })).toMatchObject({ reason: 'network', message: expect.stringMatching(/Failed to fetch/) });
    expect(modelLoadFailure(new ModelFormatError('x'), true).reason).toBe('network');
    expect(modelLoadFailure(new ModelDownloadError('x')).reason).toBe('network');
  });

  it('a wrong file is a format failure; one beyond the budgets a size failure', async () => {
    expect(await failureOf({ 'm/model.json': '{oops' })).toMatchObject({ reason: 'format', message: expect.stringMatching(/^model\.json is not valid JSON/) });
    const huge = JSON.stringify({ format: 'cnn-microscope/1', input: { channels: 1e9, height: 1, width: 1 } });
    expect(await failureOf({ 'm/model.json': huge, 'm/weights.bin': new ArrayBuffer(0) })).toMatchObject({ reason: 'size', message: expect.stringMatching(/^input\.channels is 1,000,000,000/) });
    expect(modelLoadFailure(new ModelSizeError('x')).reason).toBe('size');
    // code that tells format errors by name (the ONNX import path, across the worker boundary) still sees one
    expect(new ModelSizeError('x').name).toBe('ModelFormatError');
  });

  it('an unexpected error while reading is not called a download failure', () => {
    const f = modelLoadFailure(new RangeError('Invalid array length'));
    expect(f.reason).toBe('format');
    expect(f.message).toBe('the model file could not be read (Invalid array length)');
  });
});
