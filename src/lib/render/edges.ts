// The edge program: every edge of the graph is one instance of a 4-vertex quad, drawn in a
// single instanced call (WebGPU or WebGL). Endpoints, importance, kernel sign and display state
// are per-instance attributes; a new cut or highlight only rewrites the state buffer.

import { Buffer, BufferUsage, Geometry, Mesh, Shader, UniformGroup } from 'pixi.js';

const WGSL = /* wgsl */ `
struct GlobalUniforms { uProjectionMatrix: mat3x3<f32>, uWorldTransformMatrix: mat3x3<f32>, uWorldColorAlpha: vec4<f32>, uResolution: vec2<f32> };
@group(0) @binding(0) var<uniform> globalUniforms: GlobalUniforms;
struct LocalUniforms { uTransformMatrix: mat3x3<f32>, uColor: vec4<f32>, uRound: f32 };
@group(1) @binding(0) var<uniform> localUniforms: LocalUniforms;
struct EdgeUniforms { uPixel: f32, uWidth: f32, uFade: f32 };
@group(2) @binding(0) var<uniform> edgeUniforms: EdgeUniforms;

struct VOut { @builtin(position) position: vec4<f32>, @location(0) color: vec4<f32> };

// state: 0 faded, 1 kept, 2 highlighted; value: importance in [0, 1]; sign of the kernel sum
@vertex
fn mainVert(@location(0) aCorner: vec2<f32>, @location(1) aEnds: vec4<f32>, @location(2) aStyle: vec2<f32>, @location(3) aState: f32) -> VOut {
  let a = aEnds.xy;
  let b = aEnds.zw;
  let d = b - a;
  let len = max(length(d), 1e-6);
  let n = vec2<f32>(-d.y, d.x) / len;
  let v = clamp(aStyle.x, 0.0, 1.0);
  var px = edgeUniforms.uWidth * (0.6 + 1.4 * v);
  var alpha = edgeUniforms.uFade;
  if (aState > 1.5) { px = px * 1.8 + 1.0; alpha = 0.95; }
  else if (aState > 0.5) { alpha = 0.3 + 0.65 * v; }
  let p = a + d * aCorner.x + n * aCorner.y * 0.5 * px * edgeUniforms.uPixel;
  let m = globalUniforms.uProjectionMatrix * globalUniforms.uWorldTransformMatrix * localUniforms.uTransformMatrix;
  var rgb = vec3<f32>(0.55, 0.58, 0.62);
  if (aStyle.y > 0.5) { rgb = vec3<f32>(0.84, 0.25, 0.18); }
  if (aStyle.y < -0.5) { rgb = vec3<f32>(0.15, 0.42, 0.85); }
  var out: VOut;
  out.position = vec4<f32>((m * vec3<f32>(p, 1.0)).xy, 0.0, 1.0);
  out.color = vec4<f32>(rgb * alpha, alpha);
  return out;
}

@fragment
fn mainFrag(@location(0) color: vec4<f32>) -> @location(0) vec4<f32> {
  return color;
}
`;

const GLSL_VERTEX = /* glsl */ `#version 300 es
in vec2 aCorner;
in vec4 aEnds;
in vec2 aStyle;
in float aState;
uniform mat3 uProjectionMatrix;
uniform mat3 uWorldTransformMatrix;
uniform mat3 uTransformMatrix;
uniform float uPixel;
uniform float uWidth;
uniform float uFade;
out vec4 vColor;
void main() {
  vec2 a = aEnds.xy;
  vec2 b = aEnds.zw;
  vec2 d = b - a;
  float len = max(length(d), 1e-6);
  vec2 n = vec2(-d.y, d.x) / len;
  float v = clamp(aStyle.x, 0.0, 1.0);
  float px = uWidth * (0.6 + 1.4 * v);
  float alpha = uFade;
  if (aState > 1.5) { px = px * 1.8 + 1.0; alpha = 0.95; }
  else if (aState > 0.5) { alpha = 0.3 + 0.65 * v; }
  vec2 p = a + d * aCorner.x + n * aCorner.y * 0.5 * px * uPixel;
  mat3 m = uProjectionMatrix * uWorldTransformMatrix * uTransformMatrix;
  vec3 rgb = vec3(0.55, 0.58, 0.62);
  if (aStyle.y > 0.5) rgb = vec3(0.84, 0.25, 0.18);
  if (aStyle.y < -0.5) rgb = vec3(0.15, 0.42, 0.85);
  gl_Position = vec4((m * vec3(p, 1.0)).xy, 0.0, 1.0);
  vColor = vec4(rgb * alpha, alpha);
}`;

const GLSL_FRAGMENT = /* glsl */ `#version 300 es
precision mediump float;
in vec4 vColor;
out vec4 finalColor;
void main() { finalColor = vColor; }`;

/** Display state per edge, the output of the highlight reducer. */
export const EDGE_FADED = 0;
export const EDGE_KEPT = 1;
export const EDGE_HIGHLIGHT = 2;

export class EdgeLayer {
  readonly mesh: Mesh<Geometry, Shader>;
  readonly count: number;
  private readonly ends: Buffer;
  private readonly style: Buffer;
  private readonly state: Buffer;
  private readonly uniforms: UniformGroup<{ uPixel: { value: number; type: 'f32' }; uWidth: { value: number; type: 'f32' }; uFade: { value: number; type: 'f32' } }>;

  /** ends: x0, y0, x1, y1 per edge; style: importance, sign per edge; state: per edge. */
  constructor(ends: Float32Array, style: Float32Array, state: Float32Array) {
    this.count = state.length;
    const usage = BufferUsage.VERTEX | BufferUsage.COPY_DST;
    this.ends = new Buffer({ data: ends, usage, label: 'edge ends' });
    this.style = new Buffer({ data: style, usage, label: 'edge style' });
    this.state = new Buffer({ data: state, usage, label: 'edge state' });
    const geometry = new Geometry({
      topology: 'triangle-strip',
      instanceCount: this.count,
      attributes: {
        aCorner: { buffer: new Float32Array([0, -1, 0, 1, 1, -1, 1, 1]), format: 'float32x2' },
        aEnds: { buffer: this.ends, format: 'float32x4', instance: true },
        aStyle: { buffer: this.style, format: 'float32x2', instance: true },
        aState: { buffer: this.state, format: 'float32', instance: true },
      },
    });
    this.uniforms = new UniformGroup({
      uPixel: { value: 1, type: 'f32' },
      uWidth: { value: 1, type: 'f32' },
      uFade: { value: 0.07, type: 'f32' },
    });
    const shader = Shader.from({
      gl: { vertex: GLSL_VERTEX, fragment: GLSL_FRAGMENT, name: 'graph-edges' },
      gpu: { vertex: { entryPoint: 'mainVert', source: WGSL }, fragment: { entryPoint: 'mainFrag', source: WGSL }, name: 'graph-edges' },
      resources: { edgeUniforms: this.uniforms },
    });
    this.mesh = new Mesh({ geometry, shader });
    this.mesh.label = 'edges';
  }

  /** World units per screen pixel, so that widths stay in pixels at every zoom. */
  setPixelSize(worldPerPixel: number): void {
    this.uniforms.uniforms.uPixel = worldPerPixel;
  }

  setLook(widthPx: number, fadedAlpha: number): void {
    this.uniforms.uniforms.uWidth = widthPx;
    this.uniforms.uniforms.uFade = fadedAlpha;
  }

  /** New node positions: only the endpoint buffer is rewritten. */
  updateEnds(): void {
    this.ends.update();
  }

  updateStyle(): void {
    this.style.update();
  }

  /** A new cut or highlight: only the state buffer is rewritten. */
  updateState(): void {
    this.state.update();
  }

  destroy(): void {
    this.mesh.destroy();
    this.ends.destroy();
    this.style.destroy();
    this.state.destroy();
  }
}
