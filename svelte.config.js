// SvelteKit configuration: a fully prerendered static site (adapter-static) whose pages
// use relative asset paths, so the build works from any folder of a static host.
// BASE_PATH (e.g. "/microscope") sets an absolute base for hosts that need one.
import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

const base = (process.env.BASE_PATH ?? '').replace(/\/+$/, '');

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter({ pages: 'build', assets: 'build', fallback: undefined, strict: true }),
    paths: {
      base: /** @type {'' | `/${string}`} */ (base),
      relative: true,
    },
    prerender: {
      handleHttpError: 'fail',
      handleMissingId: 'fail',
    },
  },
};

export default config;
