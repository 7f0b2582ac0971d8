// Ambient types for the app: SvelteKit's App namespace (unused interfaces kept for later)
// and the `?raw` WGSL imports the engine uses.
/// <reference types="@webgpu/types" />

declare global {
  namespace App {
    // interface Error {}
    // interface Locals {}
    // interface PageData {}
    // interface PageState {}
    // interface Platform {}
  }
}

declare module '*.wgsl?raw' {
  const source: string;
  export default source;
}

export {};
