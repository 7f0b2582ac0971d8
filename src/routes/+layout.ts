// Every page is prerendered to static HTML; the browser-only work (WebGPU, the worker)
// starts after hydration, so server rendering only produces the page shell.
export const prerender = true;
export const ssr = true;
export const trailingSlash = 'ignore';
