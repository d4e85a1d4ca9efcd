/**
 * A trained network as an ONNX graph, from its model.json and weights alone (no TensorFlow.js, no
 * Python): the same layout the builder follows (plan.ts; conventions in docs/network.md), in inference
 * mode. Conv(k,d) → BatchNormalization (moving statistics, ε as in training) → Relu; skip edges and the
 * residual path as identity or a 1×1×1 Conv; node inputs summed (Sum), the residual added (Add);
 * MaxPool 2×2×2 before each deeper level; nearest ×2 upsampling (Resize, asymmetric + floor: output
 * voxel i reads input voxel ⌊i/2⌋, exactly what the builder's upsampling does); Concat [upsampled,
 * encoder copy] on channels; the final 1×1×1 head with bias and Softmax over classes. Deep-supervision
 * heads train the network but are not part of its prediction, so they are left out.
 *
 * Contract (the same for both engines): input `image` float32 [N, C, D, H, W], output `probabilities`
 * float32 [N, K, D, H, W]; N, D, H, W are free (each spatial side a multiple of 2^p); opset 13.
 * Weights arrive channels-last ([kd, kh, kw, Cin, Cout], model.json's layout) and are written as ONNX's
 * [Cout, Cin, kd, kh, kw].
 */
import { APP_VERSION } from '../../core/version';
import { BN_EPSILON } from '../batchNormSettings';
import type { ModelJson } from '../modelJson';
import { type EdgeLayer, edgeLayer, levelChannels, planNetwork, residualLayer } from '../plan';
import {
  ATTRIBUTE_TYPE,
  encodeOnnxModel,
  ONNX_FLOAT,
  ONNX_IR_VERSION,
  type OnnxAttribute,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
} from './onnxSchema';

export const ONNX_OPSET = 13;
export const ONNX_INPUT = 'image';
export const ONNX_OUTPUT = 'probabilities';

const ints = (name: string, values: number[]): OnnxAttribute => ({
  name,
  type: ATTRIBUTE_TYPE.INTS,
  ints: values,
});
const str = (name: string, value: string): OnnxAttribute => ({
  name,
  type: ATTRIBUTE_TYPE.STRING,
  s: new TextEncoder().encode(value),
});
const float = (name: string, value: number): OnnxAttribute => ({
  name,
  type: ATTRIBUTE_TYPE.FLOAT,
  f: value,
});
const int = (name: string, value: number): OnnxAttribute => ({ name, type: ATTRIBUTE_TYPE.INT, i: value });

/** model.json's weights by their name within the network (`enc0/e01/w`), checked against the plan's order. */
class WeightReader {
  private at = 0;
  private index = 0;
  private readonly entries: { name: string; shape: number[] }[];

  constructor(
    model: ModelJson,
    private readonly values: Float32Array,
  ) {
    this.entries = model.weightsManifest.flatMap((g) => g.weights);
    const expected = this.entries.reduce((a, e) => a + e.shape.reduce((x, y) => x * y, 1), 0);
    if (values.length !== expected)
      throw new Error(`the weights hold ${values.length} floats, model.json lists ${expected}`);
  }

  /** The next variable; its manifest name must end with `name` (both engines name them so). */
  next(name: string, shape: number[]): Float32Array {
    const e = this.entries[this.index];
    if (!e || !(e.name === name || e.name.endsWith(`/${name}`) || e.name.endsWith(`:${name}`)))
      throw new Error(
        `model.json's weight ${this.index} is ${e?.name ?? 'missing'}, the network expects ${name}`,
      );
    if (e.shape.join('x') !== shape.join('x'))
      throw new Error(`model.json's weight ${e.name} has shape [${e.shape}], the network expects [${shape}]`);
    const n = shape.reduce((a, b) => a * b, 1);
    const out = this.values.subarray(this.at, this.at + n);
    this.at += n;
    this.index += 1;
    return out;
  }

  finish(): void {
    if (this.index !== this.entries.length)
      throw new Error(`model.json lists ${this.entries.length} weights, the network has ${this.index}`);
  }
}

/** [kd, kh, kw, Cin, Cout] (channels-last) → [Cout, Cin, kd, kh, kw] (ONNX). */
function toOihw(w: Float32Array, k: number, cin: number, cout: number): Float32Array {
  const taps = k * k * k;
  const out = new Float32Array(w.length);
  for (let t = 0; t < taps; t++)
    for (let i = 0; i < cin; i++)
      for (let o = 0; o < cout; o++) out[(o * cin + i) * taps + t] = w[(t * cin + i) * cout + o];
  return out;
}

class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private count = 0;

  tensor(name: string, dims: number[], values: Float32Array): string {
    // Little-endian float32; a view into the weights is copied so that the bytes are this tensor's alone.
    const own = values.byteOffset === 0 && values.byteLength === values.buffer.byteLength;
    const bytes = new Uint8Array((own ? values : new Float32Array(values)).buffer);
    this.initializers.push({ name, dims, dataType: ONNX_FLOAT, rawData: bytes });
    return name;
  }

  node(opType: string, inputs: string[], name: string, attribute: OnnxAttribute[] = []): string {
    this.count += 1;
    const output = `${name}:${opType.toLowerCase()}${this.count}`;
    this.nodes.push({ input: inputs, output: [output], name: output, opType, attribute });
    return output;
  }

  conv(
    x: string,
    name: string,
    w: Float32Array,
    k: number,
    d: number,
    cin: number,
    cout: number,
    bias?: Float32Array,
  ): string {
    const pad = (d * (k - 1)) / 2;
    const inputs = [x, this.tensor(`${name}/w`, [cout, cin, k, k, k], toOihw(w, k, cin, cout))];
    if (bias) inputs.push(this.tensor(`${name}/b`, [cout], bias));
    return this.node('Conv', inputs, name, [
      ints('kernel_shape', [k, k, k]),
      ints('dilations', [d, d, d]),
      ints('pads', [pad, pad, pad, pad, pad, pad]),
      ints('strides', [1, 1, 1]),
    ]);
  }
}

function applyEdge(
  g: GraphBuilder,
  weights: WeightReader,
  x: string,
  name: string,
  layer: EdgeLayer,
): string {
  if (layer.kind === 'identity') return x;
  const cin = layer.inChannels;
  const c = layer.channels;
  if (layer.kind === 'projection')
    return g.conv(x, name, weights.next(`${name}/w`, [1, 1, 1, cin, c]), 1, 1, cin, c);
  const k = layer.kernel;
  const conv = g.conv(x, name, weights.next(`${name}/w`, [k, k, k, cin, c]), k, layer.dilation, cin, c);
  const bn = ['gamma', 'beta', 'moving_mean', 'moving_var'].map((p) =>
    g.tensor(`${name}/bn/${p}`, [c], weights.next(`${name}/bn/${p}`, [c])),
  );
  const normalised = g.node('BatchNormalization', [conv, ...bn], name, [float('epsilon', BN_EPSILON)]);
  return g.node('Relu', [normalised], name);
}

const dims = (...d: (number | string)[]) =>
  d.map((v) => (typeof v === 'number' ? { dimValue: v } : { dimParam: v }));

/** The ONNX model of a trained network: `weights` are model.json's variables, concatenated in its order. */
export function onnxModelOf(model: ModelJson, weights: Float32Array): OnnxModel {
  const { spec, network } = model;
  const plan = planNetwork(spec, network.size, network.inChannels);
  const reader = new WeightReader(model, weights);
  const g = new GraphBuilder();
  const scales = g.tensor('upsample/scales', [5], new Float32Array([1, 1, 2, 2, 2]));
  const nodes = spec.block.nodes;

  const encoder: string[] = [];
  let h = ONNX_INPUT;
  for (const mb of plan.megaBlocks) {
    const name = `${mb.path}${mb.level}`;
    let x: string;
    if (mb.path === 'enc') {
      x =
        mb.level === 0
          ? h
          : g.node('MaxPool', [h], name, [ints('kernel_shape', [2, 2, 2]), ints('strides', [2, 2, 2])]);
    } else {
      const up = g.node('Resize', [h, '', scales], name, [
        str('mode', 'nearest'),
        str('coordinate_transformation_mode', 'asymmetric'),
        str('nearest_mode', 'floor'),
      ]);
      x = g.node('Concat', [up, encoder[mb.level]], name, [int('axis', 1)]);
    }
    const outs = [x];
    for (let node = 1; node < nodes; node++) {
      const inputs = plan.edges
        .filter((e) => e.to === node)
        .map((e) => applyEdge(g, reader, outs[e.from], `${name}/e${e.from}${e.to}`, edgeLayer(e, mb)));
      outs.push(inputs.length === 1 ? inputs[0] : g.node('Sum', inputs, `${name}/n${node}`));
    }
    let y = outs[nodes - 1];
    const residual = residualLayer(spec, mb);
    if (residual) y = g.node('Add', [y, applyEdge(g, reader, x, `${name}/res`, residual)], name);
    if (mb.path === 'enc') encoder.push(y);
    h = y;
  }

  const c0 = levelChannels(spec, 0);
  const K = network.classes;
  const headW = reader.next('head0/w', [1, 1, 1, c0, K]);
  const headB = reader.next('head0/b', [K]);
  // Deep-supervision heads follow in model.json; they are read (and checked) but not exported.
  for (const level of plan.auxLevels) {
    reader.next(`head${level}/w`, [1, 1, 1, levelChannels(spec, level), K]);
    reader.next(`head${level}/b`, [K]);
  }
  reader.finish();
  const logits = g.conv(h, 'head0', headW, 1, 1, c0, K, headB);
  const probs = g.node('Softmax', [logits], 'head0', [int('axis', 1)]);
  g.nodes.push({ input: [probs], output: [ONNX_OUTPUT], name: 'output', opType: 'Identity', attribute: [] });

  return {
    irVersion: ONNX_IR_VERSION,
    producerName: 'SegNAS Studio',
    producerVersion: APP_VERSION,
    docString:
      'SegNAS3D network. Input image [N, C, D, H, W] float32, preprocessed as preprocessing.json says; output probabilities [N, K, D, H, W] (softmax over K classes; class k is label value labels.values[k]).',
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    metadataProps: [
      { key: 'segnas.spec', value: JSON.stringify(spec) },
      { key: 'segnas.labels', value: JSON.stringify(model.labels) },
      { key: 'segnas.preprocessing', value: JSON.stringify(model.preprocessing) },
      { key: 'segnas.engine', value: model.engine?.name ?? 'tfjs' },
    ],
    graph: {
      name: 'segnas',
      node: g.nodes,
      initializer: g.initializers,
      input: [
        {
          name: ONNX_INPUT,
          type: {
            tensorType: {
              elemType: ONNX_FLOAT,
              shape: { dim: dims('N', network.inChannels, 'D', 'H', 'W') },
            },
          },
        },
      ],
      output: [
        {
          name: ONNX_OUTPUT,
          type: { tensorType: { elemType: ONNX_FLOAT, shape: { dim: dims('N', K, 'D', 'H', 'W') } } },
        },
      ],
    },
  };
}

/** A protobuf message, and so an ONNX file without external data, holds at most 2 GiB. */
const MAX_ONNX_WEIGHT_BYTES = 2 ** 31 - 2 ** 26;

/** model.onnx's bytes for a trained network. */
export function encodeOnnx(model: ModelJson, weights: Float32Array): Uint8Array {
  if (weights.byteLength > MAX_ONNX_WEIGHT_BYTES)
    throw new Error(
      `the network's ${Math.round(weights.byteLength / 2 ** 20)} MiB of weights exceed what one ONNX file holds (2 GiB); use model.json + weights.bin with segnas predict`,
    );
  return encodeOnnxModel(onnxModelOf(model, weights));
}
