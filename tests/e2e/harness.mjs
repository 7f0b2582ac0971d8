// The tiny test harness the end-to-end scripts share: named checks that record failures
// without stopping the run, an assert, and the closing 'N passed, N failed' line.

let passed = 0;
let failed = 0;

export async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`  ✓ ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (err) {
    failed++;
    console.log(`  ✗ ${name}\n      ${String(err?.stack ?? err).split('\n').slice(0, 6).join('\n      ')}`);
  }
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/** Prints the closing line and exits non-zero on any failure. */
export function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}
