// The demo photos (static/images/demo-photos/, made by tools/python/demo_photos.py): a few
// public-domain photographs in a handful of classes, 224x224 RGB, for imported models that bring
// no images of their own; converted on load to the model's input size and channels.

import { fetchImageSet, type ImageSet } from './imageSet';
import { resizeImageSet } from './resize';

/** The folder, relative to the site's root. */
export const DEMO_PHOTOS_PATH = '/images/demo-photos/';

/** The demo photos from their folder URL (ending in '/'), at the given input size: centre-cropped, grey or RGB. */
export async function fetchDemoPhotos(folderUrl: string, channels: number, height: number, width: number, fetchFn: typeof fetch = fetch): Promise<ImageSet> {
  return resizeImageSet(await fetchImageSet(folderUrl, fetchFn), channels, height, width);
}
