// SvelteKit configuration: a fully prerendered static site (adapter-static) whose pages
// use relative asset paths, so the build works from any folder of a static host.
// BASE_PATH (e.g. "/microscope") sets an absolute base for hosts that need one.
// A strict Content-Security-Policy goes into every page as a meta tag (SvelteKit hashes its own
// inline script): nothing but this origin's scripts, workers and connections; images also from
// data: and blob: (uploads, exports); inline styles for the style attributes Svelte writes.
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
    csp: {
      mode: 'hash',
      directives: {
        'default-src': ['self'],
        'script-src': ['self'],
        'worker-src': ['self'],
        'style-src': ['self', 'unsafe-inline'],
        'img-src': ['self', 'data:', 'blob:'],
        'font-src': ['self'],
        'connect-src': ['self'],
        'object-src': ['none'],
        'base-uri': ['self'],
        'form-action': ['self'],
      },
    },
    prerender: {
      handleHttpError: 'fail',
      handleMissingId: 'fail',
    },
  },
};

export default config;
