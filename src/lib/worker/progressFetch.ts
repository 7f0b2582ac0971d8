// A fetch for a loading job: reads response bodies in chunks and reports the bytes received
// across all files of the job as its progress, aborts with the job, and notes the files that
// answered with an HTTP error (so a loader's format error can be told from a download failure).
import type { Job } from './jobs';

/** A fetch that reads bodies in chunks, reporting bytes received across all files of the job. */
export function fetchWithProgress(fetchFn: typeof fetch, job: Job, httpFailures: string[]): typeof fetch {
  const received = new Map<string, number>();
  const expected = new Map<string, number>();
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    job.progress(`Requesting ${url.split('/').pop() ?? url}`, sum(received), 0);
    const response = await fetchFn(input, { ...init, signal: job.signal });
    const file = url.split('/').pop() ?? url;
    if (!response.ok) httpFailures.push(`${file}: HTTP ${response.status}`);
    if (!response.ok || !response.body) return response;
    expected.set(file, Number(response.headers.get('content-length')) || 0);
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      bytes += value.length;
      received.set(file, bytes);
      job.progress(`Downloading ${file}`, sum(received), Math.max(sum(expected), sum(received)));
    }
    return new Response(concatenated(chunks, bytes), { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

/** The chunks of a body as one array of `bytes` bytes. */
function concatenated(chunks: Uint8Array[], bytes: number): Uint8Array<ArrayBuffer> {
  const body = new Uint8Array(bytes);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.length;
  }
  return body;
}
