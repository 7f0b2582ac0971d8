// The site's demo photos for the page: where they are on this site (which may be served from a
// subfolder), loaded at a model's input size. For imported models, which bring no images.

import { asset } from '$app/paths';
import type { ImageSet } from '$lib/images/imageSet';
import { DEMO_PHOTOS_PATH, fetchDemoPhotos } from '$lib/images/demoPhotos';

/** The demo photos folder's URL on this site. */
export function demoPhotosUrl(): string {
  return new URL((asset as (path: string) => string)(DEMO_PHOTOS_PATH), location.href).href;
}

/** The demo photos as an image set of this input size and channel count (e.g. a loaded model's input). */
export function loadDemoPhotos(channels: number, height: number, width: number): Promise<ImageSet> {
  return fetchDemoPhotos(demoPhotosUrl(), channels, height, width);
}
