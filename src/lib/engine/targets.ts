// What a backward pass differentiates: a scalar per image, summed over the images of a
// batch (so batches of a stream add up). Shared by the GPU engine and the CPU reference.

export type Target =
  | { kind: 'featureMean'; layer: string; channel: number }
  | { kind: 'featureMax'; layer: string; channel: number }
  | { kind: 'featureAt'; layer: string; channel: number; y: number; x: number }
  | { kind: 'direction'; layer: string; weights: number[] }
  | { kind: 'classLogit'; class: number }
  | { kind: 'classProbability'; class: number }
  | { kind: 'loss' };

/** The layer whose output the target reads (the logits layer for class targets and the loss). */
export function targetLayer(t: Target, logitsLayer: string): string {
  return 'layer' in t ? t.layer : logitsLayer;
}

export function describeTarget(t: Target): string {
  switch (t.kind) {
    case 'featureMean': return `mean of ${t.layer}:${t.channel}`;
    case 'featureMax': return `max of ${t.layer}:${t.channel}`;
    case 'featureAt': return `${t.layer}:${t.channel} at (${t.y}, ${t.x})`;
    case 'direction': return `direction in ${t.layer}`;
    case 'classLogit': return `logit of class ${t.class}`;
    case 'classProbability': return `probability of class ${t.class}`;
    case 'loss': return 'cross-entropy loss';
  }
}
