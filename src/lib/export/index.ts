// Circuit exports for the page: standalone SVG, PNG rendered from it, JSON of the kept
// kernels and settings, and saving any of them as a file.

export { circuitSvg, type CircuitSvgInput } from './svg';
export { circuitPng, svgSize, pngSize } from './png';
export { circuitJson, circuitDocument, CIRCUIT_FORMAT, type CircuitJsonInput, type CircuitDocument, type CircuitKernel } from './json';
export { download, safeFilename } from './download';
