// Random streams of a visualization batch: every image draws its initial parameters and its
// transforms from a stream of its own, keyed by the seed, its objective's canonical text and
// how many earlier images share that objective, so an image does not depend on its batch
// partners (a node's atlas tile is what the page shows for it with the same settings).

/** FNV-1a over a string's UTF-16 code units, 32 bits. */
function fnv1a(text: string, h = 2166136261): number {
  for (let k = 0; k < text.length; k++) h = Math.imul(h ^ text.charCodeAt(k), 16777619) >>> 0;
  return h >>> 0;
}

/** One 32-bit stream seed per image: `objectives[n]` is image n's canonical objective text. */
export function imageStreamSeeds(seed: number, objectives: string[]): Uint32Array {
  const seen = new Map<string, number>();
  return Uint32Array.from(objectives, (text) => {
    const k = seen.get(text) ?? 0;
    seen.set(text, k + 1);
    return fnv1a(`${seed >>> 0}|${text}|${k}`);
  });
}
