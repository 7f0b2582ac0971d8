// The edge program: every edge of the graph is one instance of a 4-vertex quad, drawn in a
// single instanced call (WebGPU or WebGL). Endpoints, importance, kernel sign and display state
// are per-edge attributes; a new cut or highlight only rewrites the state buffer.

import { Buffer, BufferUsage, Geometry, Mesh, Shader, UniformGroup } from 'pixi.js';

const WGSL = /* wgsl */ `
struct GlobalUniforms { uProjectionMatrix: mat3x3<f32>, uWorldTransformMatrix: mat3x3<f32>, uWorldColorAlpha: vec4<f32>, uResolution: vec2<f32> };
@group(0) @binding(0) var<uniform> globalUniforms: GlobalUniforms;
struct LocalUniforms { uTransformMatrix: mat3x3<f32>, uColor: vec4<f32>, uRound: f32 };
@group(1) @binding(0) var<uniform> localUniforms: LocalUniforms;
struct EdgeUniforms { uPixel: f32, uWidth: f32, uFade: f32 };
@group(2) @binding(0) var<uniform> edgeUniforms: EdgeUniforms;

struct VOut { @builtin(position) position: vec4<f32>, @location(0) color: vec4<f32>, @location(1) across: vec2<f32>, @location(2) dash: vec2<f32> };

// state: -1 removed by ablation, 0 faded, 1 kept, 2 highlighted; value: importance in [0, 1];
// sign of the kernel sum. The quad is 1 px wider than the line; the fragment fades that fringe
// (antialiasing without multisampling). Faded edges collapse to nothing when uFade is 0.
// Removed edges are purple and dashed (dash: pixels along the edge, and 1 for dashed).
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
  else if (aState < -0.5) { px = max(px, 1.5); alpha = 0.9; }
  if (aState > -0.5 && aState < 0.5 && edgeUniforms.uFade <= 0.0) { px = 0.0; }
  let halfWidth = 0.5 * px + 0.5 * step(0.001, px);
  let p = a + d * aCorner.x + n * aCorner.y * halfWidth * edgeUniforms.uPixel;
  let m = globalUniforms.uProjectionMatrix * globalUniforms.uWorldTransformMatrix * localUniforms.uTransformMatrix;
  var rgb = vec3<f32>(0.55, 0.58, 0.62);
  if (aStyle.y > 0.5) { rgb = vec3<f32>(0.84, 0.25, 0.18); }
  if (aStyle.y < -0.5) { rgb = vec3<f32>(0.15, 0.42, 0.85); }
  var dashed = 0.0;
  if (aState < -0.5) { rgb = vec3<f32>(0.58, 0.2, 0.75); dashed = 1.0; }
  var out: VOut;
  out.position = vec4<f32>((m * vec3<f32>(p, 1.0)).xy, 0.0, 1.0);
  out.color = vec4<f32>(rgb * alpha, alpha);
  out.across = vec2<f32>(aCorner.y * halfWidth, 0.5 * px);
  out.dash = vec2<f32>(aCorner.x * len / edgeUniforms.uPixel, dashed);
  return out;
}

@fragment
fn mainFrag(@location(0) color: vec4<f32>, @location(1) across: vec2<f32>, @location(2) dash: vec2<f32>) -> @location(0) vec4<f32> {
  // coverage of this pixel by a line of width 2 * across.y, at distance |across.x| from its middle
  var cover = clamp(across.y + 0.5 - abs(across.x), 0.0, 1.0) * min(1.0, 2.0 * across.y + 0.25);
  // dashes of 5 px with 3 px gaps
  if (dash.y > 0.5 && fract(dash.x / 8.0) > 0.625) { cover = 0.0; }
  return color * cover;
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
out vec2 vAcross;
out vec2 vDash;
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
  else if (aState < -0.5) { px = max(px, 1.5); alpha = 0.9; }
  if (aState > -0.5 && aState < 0.5 && uFade <= 0.0) px = 0.0;
  float halfWidth = 0.5 * px + 0.5 * step(0.001, px);
  vec2 p = a + d * aCorner.x + n * aCorner.y * halfWidth * uPixel;
  mat3 m = uProjectionMatrix * uWorldTransformMatrix * uTransformMatrix;
  vec3 rgb = vec3(0.55, 0.58, 0.62);
  if (aStyle.y > 0.5) rgb = vec3(0.84, 0.25, 0.18);
  if (aStyle.y < -0.5) rgb = vec3(0.15, 0.42, 0.85);
  float dashed = 0.0;
  if (aState < -0.5) { rgb = vec3(0.58, 0.2, 0.75); dashed = 1.0; }
  gl_Position = vec4((m * vec3(p, 1.0)).xy, 0.0, 1.0);
  vColor = vec4(rgb * alpha, alpha);
  vAcross = vec2(aCorner.y * halfWidth, 0.5 * px);
  vDash = vec2(aCorner.x * len / uPixel, dashed);
}`;

const GLSL_FRAGMENT = /* glsl */ `#version 300 es
precision mediump float;
in vec4 vColor;
in vec2 vAcross;
in vec2 vDash;
out vec4 finalColor;
void main() {
  float cover = clamp(vAcross.y + 0.5 - abs(vAcross.x), 0.0, 1.0) * min(1.0, 2.0 * vAcross.y + 0.25);
  if (vDash.y > 0.5 && fract(vDash.x / 8.0) > 0.625) cover = 0.0;
  finalColor = vColor * cover;
}`;

/**
 * How the quads reach the GPU: 'instanced' (one instance per edge, the default) or 'expanded'
 * (the per-edge attributes repeated on each of the quad's 4 vertices, one indexed draw). Software
 * rasterizers such as SwiftShader run each instance as its own small draw, so there the
 * expanded form is many times faster; on a GPU instancing is the lighter one.
 */
export type EdgeDrawing = 'instanced' | 'expanded';

const CORNERS = [0, -1, 0, 1, 1, -1, 1, 1];

export class EdgeLayer {
  readonly mesh: Mesh<Geometry, Shader>;
  readonly count: number;
  private readonly ends: Buffer;
  private readonly style: Buffer;
  private readonly state: Buffer;
  private readonly uniforms: UniformGroup<{ uPixel: { value: number; type: 'f32' }; uWidth: { value: number; type: 'f32' }; uFade: { value: number; type: 'f32' } }>;

  /** ends: x0, y0, x1, y1 per edge; style: importance, sign per edge; state: per edge. */
  constructor(
    private readonly source: { ends: Float32Array; style: Float32Array; state: Float32Array },
    readonly drawing: EdgeDrawing = 'instanced',
  ) {
    this.count = source.state.length;
    const usage = BufferUsage.VERTEX | BufferUsage.COPY_DST;
    const instanced = drawing === 'instanced';
    const data = (a: Float32Array, width: number) => (instanced ? a : repeat4(a, width, new Float32Array(a.length * 4)));
    this.ends = new Buffer({ data: data(source.ends, 4), usage, label: 'edge ends' });
    this.style = new Buffer({ data: data(source.style, 2), usage, label: 'edge style' });
    this.state = new Buffer({ data: data(source.state, 1), usage, label: 'edge state' });
    const corners = instanced ? new Float32Array(CORNERS) : repeatCorners(this.count);
    const geometry = new Geometry({
      topology: instanced ? 'triangle-strip' : 'triangle-list',
      instanceCount: instanced ? this.count : 1,
      indexBuffer: instanced ? undefined : quadIndices(this.count),
      attributes: {
        aCorner: { buffer: corners, format: 'float32x2' },
        aEnds: { buffer: this.ends, format: 'float32x4', instance: instanced },
        aStyle: { buffer: this.style, format: 'float32x2', instance: instanced },
        aState: { buffer: this.state, format: 'float32', instance: instanced },
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
    this.mesh.label = `edges (${drawing})`;
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
    this.refresh(this.ends, this.source.ends, 4);
  }

  updateStyle(): void {
    this.refresh(this.style, this.source.style, 2);
  }

  /** A new cut or highlight: only the state buffer is rewritten. */
  updateState(): void {
    this.refresh(this.state, this.source.state, 1);
  }

  private refresh(buffer: Buffer, from: Float32Array, width: number): void {
    if (this.drawing === 'expanded') repeat4(from, width, buffer.data as Float32Array);
    buffer.update();
  }

  destroy(): void {
    this.mesh.destroy();
    this.ends.destroy();
    this.style.destroy();
    this.state.destroy();
  }
}

/** Each record of `width` floats written 4 times in a row (once per quad corner). */
function repeat4(from: Float32Array, width: number, to: Float32Array): Float32Array {
  const n = from.length / width;
  for (let e = 0; e < n; e++) {
    for (let c = 0; c < 4; c++) {
      for (let k = 0; k < width; k++) to[(e * 4 + c) * width + k] = from[e * width + k];
    }
  }
  return to;
}

function repeatCorners(count: number): Float32Array {
  const out = new Float32Array(count * 8);
  for (let e = 0; e < count; e++) out.set(CORNERS, e * 8);
  return out;
}

function quadIndices(count: number): Uint32Array {
  const out = new Uint32Array(count * 6);
  for (let e = 0; e < count; e++) out.set([4 * e, 4 * e + 1, 4 * e + 2, 4 * e + 2, 4 * e + 1, 4 * e + 3], e * 6);
  return out;
}
