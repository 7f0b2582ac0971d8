// The worker API's image sets: the visitor's own images (or demo photos, or the model's own set
// again) replace the set the loaded model's circuits are scored on. The set is checked as an
// images.json would be, and against the model's input size and channels.
import { IMAGE_SET_FORMAT, parseImageSet, type ImageSet } from '$lib/images/imageSet';
import { errorMessage, exclusive, type WorkerState } from './apiState';
import type { MicroscopeApi, UseImagesResult } from './protocol';

export function imageSetMethods(state: WorkerState): Pick<MicroscopeApi, 'useImageSet'> {
  return {
    async useImageSet(set: ImageSet): Promise<UseImagesResult> {
      const loaded = state.loaded;
      if (!loaded) return { ok: false, message: state.deviceLostMessage ?? 'No model is loaded.' };
      let checked: ImageSet;
      try {
        const { count, channels, height, width, labels, classes, splits } = set ?? ({} as ImageSet);
        checked = parseImageSet({ format: IMAGE_SET_FORMAT, count, channels, height, width, labels, classes, splits }, set?.pixels ?? new Uint8Array(0));
      } catch (err) {
        return { ok: false, message: `These images are not a valid image set: ${errorMessage(err).replace(/^images\.json: /, '')}` };
      }
      if (!checked.classes.length) return { ok: false, message: 'These images have no classes.' };
      const { name, input } = loaded.model;
      if (checked.channels !== input.channels || checked.height !== input.height || checked.width !== input.width) {
        const kind = (c: number) => (c === 1 ? 'grey' : c === 3 ? 'RGB' : `${c}-channel`);
        return {
          ok: false,
          message: `These images are ${checked.width}×${checked.height} ${kind(checked.channels)}; model "${name}" takes ${input.width}×${input.height} ${kind(input.channels)}. Bring them at the model's size (importImages and resizeImageSet make them so).`,
        };
      }
      // after the GPU work queued before it, so no job sees the set change under it
      const used = await exclusive(state, async () => {
        if (state.loaded !== loaded) return false;
        loaded.session.useImages(checked);
        loaded.imagesInUse = checked;
        return true;
      });
      if (!used) return { ok: false, message: 'Another model was loaded meanwhile; its own images are in use.' };
      return { ok: true, count: checked.count, classes: [...checked.classes] };
    },
  };
}
