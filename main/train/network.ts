/**
 * Builds a trainable SegNAS network from a spec (paper Fig. 1; conventions in docs/network.md) out of
 * tfjs-core ops and our own tf.Variables, so it runs unchanged on wasm, cpu, webgpu and tfjs-node.
 * Convolutions go through conv3dSame (our multi-threaded WebAssembly kernels on wasm and cpu).
 */
// tfjs-core's Node bundle registers no gradients; tfjs-layers' bundle registers them all globally.
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import type { ArchitectureSpec } from '../core/spec';
import { conv3dSame } from './ops/conv3d';
import {
  type BatchNormVars,
  batchNormRelu,
  concatChannels,
  maxPool2x,
  spatialDropout,
  upsample2x,
  upsamplePow2,
} from './ops/layers';
import { paramCount } from './paramCount';
import {
  assertBuildable,
  type EdgeLayer,
  edgeLayer,
  levelChannels,
  type MegaBlockPlan,
  planNetwork,
  residualLayer,
} from './plan';
import type { NetworkOptions, SegNet, SegNetOutput } from './segNet';

/** Creates variables with unique names and seeded initial values, remembering their order. */
class VariableFactory {
  readonly all: tf.Variable[] = [];
  readonly trainable: tf.Variable[] = [];
  private count = 0;

  constructor(
    private readonly prefix: string,
    private readonly seed: number,
  ) {}

  private add(name: string, init: tf.Tensor, trainable: boolean): tf.Variable {
    const v = tf.variable(init, trainable, `${this.prefix}/${name}`);
    init.dispose();
    this.all.push(v);
    if (trainable) this.trainable.push(v);
    return v;
  }

  private nextSeed(): number {
    this.count += 1;
    return this.seed * 10007 + this.count;
  }

  /**
   * He normal (Keras he_normal: normal truncated at ±2σ, σ = √(2/fan_in)/0.8796), for the convolutions;
   * batch norm follows each, so their scale sets only how far a Nadam step moves them.
   */
  heNormal(name: string, shape: number[], fanIn: number): tf.Variable {
    const std = Math.sqrt(2 / fanIn) / 0.87962566103423978;
    return this.add(name, tf.truncatedNormal(shape, 0, std, 'float32', this.nextSeed()), true);
  }

  /**
   * U(−1/√fan_in, 1/√fan_in) (PyTorch's default for convolutions: kaiming_uniform with a = √5, so the
   * output variance is a third of the input's), for the 1×1×1 projections: they have no batch norm
   * after them, and with He's gain of 2 each residual sum doubled the un-normalised part of the signal
   * (docs/network.md, "Initialisation").
   */
  uniformFanIn(name: string, shape: number[], fanIn: number): tf.Variable {
    const limit = 1 / Math.sqrt(fanIn);
    return this.add(name, tf.randomUniform(shape, -limit, limit, 'float32', this.nextSeed()), true);
  }

  /** Glorot uniform (Keras default), for the softmax heads. */
  glorotUniform(name: string, shape: number[], fanIn: number, fanOut: number): tf.Variable {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return this.add(name, tf.randomUniform(shape, -limit, limit, 'float32', this.nextSeed()), true);
  }

  constant(name: string, shape: number[], value: number, trainable: boolean): tf.Variable {
    return this.add(name, tf.fill(shape, value), trainable);
  }
}

type BuiltEdge =
  | { kind: 'conv'; w: tf.Variable; dilation: number; bn: BatchNormVars }
  | { kind: 'projection'; w: tf.Variable }
  | { kind: 'identity' };

function buildEdge(vars: VariableFactory, name: string, layer: EdgeLayer): BuiltEdge {
  if (layer.kind === 'identity') return layer;
  if (layer.kind === 'projection')
    return {
      kind: 'projection',
      w: vars.uniformFanIn(`${name}/w`, [1, 1, 1, layer.inChannels, layer.channels], layer.inChannels),
    };
  const k = layer.kernel;
  const c = layer.channels;
  return {
    kind: 'conv',
    dilation: layer.dilation,
    w: vars.heNormal(`${name}/w`, [k, k, k, layer.inChannels, c], k ** 3 * layer.inChannels),
    bn: {
      gamma: vars.constant(`${name}/bn/gamma`, [c], 1, true),
      beta: vars.constant(`${name}/bn/beta`, [c], 0, true),
      movingMean: vars.constant(`${name}/bn/moving_mean`, [c], 0, false),
      movingVar: vars.constant(`${name}/bn/moving_var`, [c], 1, false),
    },
  };
}

/** `fromInput`: x is the network's input image, whose gradient nobody needs. */
function applyEdge(e: BuiltEdge, x: tf.Tensor5D, training: boolean, fromInput = false): tf.Tensor5D {
  const opts = { inputGradient: !fromInput };
  if (e.kind === 'identity') return x;
  if (e.kind === 'projection') return conv3dSame(x, e.w as tf.Tensor5D, 1, opts);
  return batchNormRelu(conv3dSame(x, e.w as tf.Tensor5D, e.dilation, opts), e.bn, training);
}

interface BuiltMegaBlock {
  plan: MegaBlockPlan;
  edges: Array<{ from: number; to: number; layer: BuiltEdge }>;
  residual?: BuiltEdge;
}

interface Head {
  level: number;
  w: tf.Variable;
  b: tf.Variable;
}

function buildHead(vars: VariableFactory, level: number, channels: number, classes: number): Head {
  return {
    level,
    w: vars.glorotUniform(`head${level}/w`, [1, 1, 1, channels, classes], channels, classes),
    b: vars.constant(`head${level}/b`, [classes], 0, true),
  };
}

/** 1×1×1 conv with bias + softmax over classes. */
function applyHead(h: Head, x: tf.Tensor5D, probe?: NetworkProbe): tf.Tensor5D {
  const logits = tf.add(conv3dSame(x, h.w as tf.Tensor5D), h.b) as tf.Tensor5D;
  probe?.(`head${h.level}`, logits);
  return tf.softmax(logits) as tf.Tensor5D;
}

/**
 * Sees intermediate maps of a forward pass, for diagnostics (initial-activation statistics): each
 * MegaBlock's output as `enc<level>` / `dec<level>`, each head's logits as `head<level>`. It runs
 * inside the forward pass's tf.tidy, so it must read what it needs synchronously and keep nothing.
 */
export type NetworkProbe = (name: string, map: tf.Tensor5D) => void;

let networkCounter = 0;

export function buildNetwork(spec: ArchitectureSpec, options: NetworkOptions, probe?: NetworkProbe): SegNet {
  // A patch's sides must each survive p poolings; the plan's per-level side is then its largest.
  if (options.patch) for (const side of options.patch) assertBuildable(spec, side);
  const plan = planNetwork(
    spec,
    options.patch ? Math.max(...options.patch) : options.size,
    options.inChannels,
  );
  networkCounter += 1;
  const vars = new VariableFactory(`segnet${networkCounter}`, options.seed);

  const megaBlocks: BuiltMegaBlock[] = plan.megaBlocks.map((mb) => {
    const name = `${mb.path}${mb.level}`;
    const residual = residualLayer(spec, mb);
    return {
      plan: mb,
      edges: plan.edges.map((edge) => ({
        from: edge.from,
        to: edge.to,
        layer: buildEdge(vars, `${name}/e${edge.from}${edge.to}`, edgeLayer(edge, mb)),
      })),
      residual: residual && buildEdge(vars, `${name}/res`, residual),
    };
  });
  const head = buildHead(vars, 0, levelChannels(spec, 0), options.classes);
  const auxHeads = plan.auxLevels.map((level) =>
    buildHead(vars, level, levelChannels(spec, level), options.classes),
  );
  const nodes = spec.block.nodes;
  let dropoutSeed = options.seed * 7919;

  function applyMegaBlock(mb: BuiltMegaBlock, x: tf.Tensor5D, training: boolean): tf.Tensor5D {
    const isFirst = mb.plan.path === 'enc' && mb.plan.level === 0;
    const outs: tf.Tensor5D[] = [x];
    for (let node = 1; node < nodes; node++) {
      const inputs = mb.edges
        .filter((e) => e.to === node)
        .map((e) => applyEdge(e.layer, outs[e.from], training, isFirst && e.from === 0));
      outs.push(inputs.length === 1 ? inputs[0] : (tf.addN(inputs) as tf.Tensor5D));
    }
    let y = outs[nodes - 1];
    if (training && options.dropout > 0) {
      dropoutSeed += 1;
      y = spatialDropout(y, options.dropout, dropoutSeed);
    }
    if (mb.residual) y = tf.add(y, applyEdge(mb.residual, x, training, isFirst));
    probe?.(`${mb.plan.path}${mb.plan.level}`, y);
    return y;
  }

  function apply(x: tf.Tensor5D, training: boolean): SegNetOutput {
    const [px, py, pz] = options.patch ?? [options.size, options.size, options.size];
    const expected = [pz, py, px, options.inChannels];
    if (x.rank !== 5 || x.shape.slice(1).some((s, i) => s !== expected[i]))
      throw new Error(`network input must be [B, ${expected.join(', ')}], got [${x.shape.join(', ')}]`);
    return tf.tidy(() => {
      const encoder: tf.Tensor5D[] = [];
      let h = x;
      const enc = megaBlocks.filter((m) => m.plan.path === 'enc');
      const dec = megaBlocks.filter((m) => m.plan.path === 'dec');
      for (const mb of enc) {
        if (mb.plan.level > 0) h = maxPool2x(h);
        h = applyMegaBlock(mb, h, training);
        encoder.push(h);
      }
      const aux: tf.Tensor5D[] = [];
      for (const mb of dec) {
        h = applyMegaBlock(mb, concatChannels(upsample2x(h), encoder[mb.plan.level]), training);
        const auxHead = auxHeads.find((a) => a.level === mb.plan.level);
        if (auxHead) aux.push(upsamplePow2(applyHead(auxHead, h, probe), auxHead.level));
      }
      return { probs: applyHead(head, h, probe), aux };
    });
  }

  let disposed = false;
  return {
    spec,
    options,
    trainable: vars.trainable,
    variables: vars.all,
    paramCount: paramCount(spec, options.classes, options.inChannels),
    get dropoutSeed() {
      return dropoutSeed;
    },
    set dropoutSeed(seed: number) {
      dropoutSeed = seed;
    },
    apply,
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const v of vars.all) v.dispose();
    },
  };
}
