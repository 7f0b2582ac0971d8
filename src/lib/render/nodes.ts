// The node program: every node is one instance of a quad shaded as an antialiased disc, all in
// one instanced draw. Centre, size and display state are per-instance attributes; a highlight
// change only rewrites the state buffer.

import { Buffer, BufferUsage, Geometry, Mesh, Shader, UniformGroup } from 'pixi.js';

const WGSL = /* wgsl */ `
struct GlobalUniforms { uProjectionMatrix: mat3x3<f32>, uWorldTransformMatrix: mat3x3<f32>, uWorldColorAlpha: vec4<f32>, uResolution: vec2<f32> };
@group(0) @binding(0) var<uniform> globalUniforms: GlobalUniforms;
struct LocalUniforms { uTransformMatrix: mat3x3<f32>, uColor: vec4<f32>, uRound: f32 };
@group(1) @binding(0) var<uniform> localUniforms: LocalUniforms;
struct NodeUniforms { uPixel: f32, uRadius: f32, uMinPx: f32, uMaxPx: f32 };
@group(2) @binding(0) var<uniform> nodeUniforms: NodeUniforms;

struct VOut { @builtin(position) position: vec4<f32>, @location(0) color: vec4<f32>, @location(1) uv: vec2<f32>, @location(2) px: f32, @location(3) ring: f32 };

fn look(state: f32) -> vec4<f32> {
  if (state < -0.5) { return vec4<f32>(0.58, 0.2, 0.75, 1.0); }  // removed by ablation (a ring)
  if (state > 2.5) { return vec4<f32>(0.96, 0.55, 0.05, 1.0); }   // selected
  if (state > 1.5) { return vec4<f32>(0.11, 0.31, 0.85, 1.0); }   // highlighted
  if (state > 0.5) { return vec4<f32>(0.16, 0.19, 0.24, 1.0); }   // in the circuit
  return vec4<f32>(0.62, 0.66, 0.72, 0.45);                         // faded
}

@vertex
fn mainVert(@location(0) aCorner: vec2<f32>, @location(1) aCenter: vec2<f32>, @location(2) aNode: vec2<f32>) -> VOut {
  let world = aNode.y * clamp(nodeUniforms.uRadius, nodeUniforms.uMinPx * nodeUniforms.uPixel, nodeUniforms.uMaxPx * nodeUniforms.uPixel);
  var r = world;
  if (aNode.x > 2.5) { r = r * 1.5; }
  let m = globalUniforms.uProjectionMatrix * globalUniforms.uWorldTransformMatrix * localUniforms.uTransformMatrix;
  var out: VOut;
  out.position = vec4<f32>((m * vec3<f32>(aCenter + aCorner * r, 1.0)).xy, 0.0, 1.0);
  let c = look(aNode.x);
  out.color = vec4<f32>(c.rgb * c.a, c.a);
  out.uv = aCorner;
  out.px = r / nodeUniforms.uPixel;
  out.ring = select(0.0, 1.0, aNode.x < -0.5);
  return out;
}

@fragment
fn mainFrag(@location(0) color: vec4<f32>, @location(1) uv: vec2<f32>, @location(2) px: f32, @location(3) ring: f32) -> @location(0) vec4<f32> {
  let d = length(uv);
  var edge = clamp((1.0 - d) * px + 0.5, 0.0, 1.0);
  // a removed node is hollow: a ring about 40% of its radius thick
  if (ring > 0.5) { edge = edge * clamp((d - 0.6) * px + 0.5, 0.0, 1.0); }
  return color * edge;
}
`;

const GLSL_VERTEX = /* glsl */ `#version 300 es
in vec2 aCorner;
in vec2 aCenter;
in vec2 aNode;
uniform mat3 uProjectionMatrix;
uniform mat3 uWorldTransformMatrix;
uniform mat3 uTransformMatrix;
uniform float uPixel;
uniform float uRadius;
uniform float uMinPx;
uniform float uMaxPx;
out vec4 vColor;
out vec2 vUv;
out float vPx;
out float vRing;
vec4 look(float state) {
  if (state < -0.5) return vec4(0.58, 0.2, 0.75, 1.0);
  if (state > 2.5) return vec4(0.96, 0.55, 0.05, 1.0);
  if (state > 1.5) return vec4(0.11, 0.31, 0.85, 1.0);
  if (state > 0.5) return vec4(0.16, 0.19, 0.24, 1.0);
  return vec4(0.62, 0.66, 0.72, 0.45);
}
void main() {
  float r = aNode.y * clamp(uRadius, uMinPx * uPixel, uMaxPx * uPixel);
  if (aNode.x > 2.5) r *= 1.5;
  mat3 m = uProjectionMatrix * uWorldTransformMatrix * uTransformMatrix;
  gl_Position = vec4((m * vec3(aCenter + aCorner * r, 1.0)).xy, 0.0, 1.0);
  vec4 c = look(aNode.x);
  vColor = vec4(c.rgb * c.a, c.a);
  vUv = aCorner;
  vPx = r / uPixel;
  vRing = aNode.x < -0.5 ? 1.0 : 0.0;
}`;

const GLSL_FRAGMENT = /* glsl */ `#version 300 es
precision mediump float;
in vec4 vColor;
in vec2 vUv;
in float vPx;
in float vRing;
out vec4 finalColor;
void main() {
  float d = length(vUv);
  float edge = clamp((1.0 - d) * vPx + 0.5, 0.0, 1.0);
  if (vRing > 0.5) edge *= clamp((d - 0.6) * vPx + 0.5, 0.0, 1.0);
  finalColor = vColor * edge;
}`;

/** Node radius: 0.32 world units (nodes are 1 apart), kept between these many pixels. */
export const NODE_RADIUS = 0.32;
export const NODE_MIN_PX = 2.5;
export const NODE_MAX_PX = 12;

export class NodeLayer {
  readonly mesh: Mesh<Geometry, Shader>;
  private readonly centers: Buffer;
  private readonly look: Buffer;
  private readonly uniforms: UniformGroup<{ uPixel: { value: number; type: 'f32' }; uRadius: { value: number; type: 'f32' }; uMinPx: { value: number; type: 'f32' }; uMaxPx: { value: number; type: 'f32' } }>;

  /** centers: x, y per node; look: display state, size factor per node. */
  constructor(centers: Float32Array, look: Float32Array) {
    const usage = BufferUsage.VERTEX | BufferUsage.COPY_DST;
    this.centers = new Buffer({ data: centers, usage, label: 'node centers' });
    this.look = new Buffer({ data: look, usage, label: 'node look' });
    const geometry = new Geometry({
      topology: 'triangle-strip',
      instanceCount: centers.length / 2,
      attributes: {
        aCorner: { buffer: new Float32Array([-1, -1, -1, 1, 1, -1, 1, 1]), format: 'float32x2' },
        aCenter: { buffer: this.centers, format: 'float32x2', instance: true },
        aNode: { buffer: this.look, format: 'float32x2', instance: true },
      },
    });
    this.uniforms = new UniformGroup({
      uPixel: { value: 1, type: 'f32' },
      uRadius: { value: NODE_RADIUS, type: 'f32' },
      uMinPx: { value: NODE_MIN_PX, type: 'f32' },
      uMaxPx: { value: NODE_MAX_PX, type: 'f32' },
    });
    const shader = Shader.from({
      gl: { vertex: GLSL_VERTEX, fragment: GLSL_FRAGMENT, name: 'graph-nodes' },
      gpu: { vertex: { entryPoint: 'mainVert', source: WGSL }, fragment: { entryPoint: 'mainFrag', source: WGSL }, name: 'graph-nodes' },
      resources: { nodeUniforms: this.uniforms },
    });
    this.mesh = new Mesh({ geometry, shader });
    this.mesh.label = 'nodes';
  }

  setPixelSize(worldPerPixel: number): void {
    this.uniforms.uniforms.uPixel = worldPerPixel;
  }

  updateCenters(): void {
    this.centers.update();
  }

  updateLook(): void {
    this.look.update();
  }

  destroy(): void {
    this.mesh.destroy();
    this.centers.destroy();
    this.look.destroy();
  }
}
