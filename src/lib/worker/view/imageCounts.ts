// How many images a circuit query reads: a query may cap the scoring images of each image-set
// term and the evaluation images of preservation (the command line's --scoring-images and
// --eval-images), picked evenly through the set so a capped set still spans its classes.

/** At most `limit` of `indices`, evenly spaced and in order; all of them without a limit. */
export function limitImages(indices: number[], limit: number | undefined): number[] {
  if (limit === undefined || limit >= indices.length) return indices;
  const step = indices.length / limit;
  return Array.from({ length: limit }, (_, k) => indices[Math.floor(k * step)]);
}

/** Refuses caps that are not positive whole numbers, naming the field. */
export function checkImageLimits(query: { scoringImages?: number; evaluationImages?: number }): void {
  for (const key of ['scoringImages', 'evaluationImages'] as const) {
    const v = query[key];
    if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) throw new Error(`${key} ${String(v)}: expected a whole number of images, at least 1`);
  }
}
