// The built-in models the site ships (folders under static/weights/) and how a model
// name from the URL is checked before it becomes part of a fetch path; which ones ship an atlas
// (only those are asked for one, so a missing file never shows up as a failed request).

export interface BuiltInModel {
  name: string;
  title: string;
  /** The folder holds atlas.json + atlas.bin (`npm run atlas`): feature-visualization thumbnails. */
  atlas?: boolean;
}

export const BUILT_IN_MODELS: BuiltInModel[] = [
  { name: 'fashion-small', title: 'Fashion-MNIST · small CNN', atlas: true },
  { name: 'fashion-vgg', title: 'Fashion-MNIST · VGG-style' },
  { name: 'fashion-vgg-sparse', title: 'Fashion-MNIST · VGG, sparse kernels' },
  { name: 'fashion-inception', title: 'Fashion-MNIST · inception blocks' },
  { name: 'digits', title: 'Handwritten digits', atlas: true },
];

export const DEFAULT_MODEL = 'fashion-small';

/** A model folder name: lowercase letters, digits and dashes (nothing that walks paths). */
export function isModelName(name: string): boolean {
  return /^[a-z0-9][a-z0-9-]{0,63}$/.test(name);
}
