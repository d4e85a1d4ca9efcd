/**
 * `npm run bench:init -- [--data DIR] [--size 32] [--specs n29p4s1r1,...] [--schemes he,glorot,...]
 *   [--train-cases N] [--val-cases N] [--epochs E] [--seed K]`
 *
 * How an initialisation scheme starts each network: for every spec × scheme, the first forward pass
 * (training mode, as the first training step sees it) on one case — the RMS of every MegaBlock's
 * output, the standard deviation of the final head's logits and the fraction of voxels whose largest
 * class probability exceeds 0.999 (a saturated softmax, whose gradients vanish). With
 * `--epochs E > 0` it then trains each network (default protocol: Nadam 1e−3, augmentation, dropout
 * 0.1, batch 1) on `--train-cases` cases for E epochs and prints the loss per epoch and the last
 * validation Dice.
 *
 * Schemes other than the builder's own (`built`) overwrite the built weights by variable name, so
 * the same network and seed are compared; heads are Glorot uniform with bias 0 except under torch:
 *   he           Keras he_normal (truncated, σ = √(2/fan_in)/0.8796) on every conv and projection
 *   glorot       Keras glorot_uniform (limit √(6/(fan_in+fan_out))) on every conv, projection and head
 *   he-lecun     he on the convs followed by batch norm; lecun_normal (truncated, σ = √(1/fan_in)/0.8796)
 *                on the 1×1×1 projections (residual and skip), which have no batch norm
 *   he-zerogamma he everywhere, and γ = 0 in the batch norms feeding a residual block's last node
 *   he-torchproj he on the convs followed by batch norm; PyTorch's default (below) on the projections
 *                (what `built` does, with other random draws)
 *   torch        PyTorch's default (kaiming_uniform with a = √5: limit 1/√fan_in; head bias the same)
 *   torch-b0     torch with the heads' bias 0
 * Data: `--data` (e.g. ../shared/data/hippocampus), else phantoms.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../main/compute/backend';
import type { ArchitectureSpec, OpCode } from '../main/core/spec';
import { discoverDataset, requireUsable } from '../main/data/discover';
import { buildLabelMapping } from '../main/data/labels';
import { generatePhantomCase, PHANTOM_LABELS } from '../main/data/phantom';
import { preprocessCase } from '../main/data/preprocess';
import { preprocessDataset } from '../main/data/preprocessDataset';
import { seededRng } from '../main/data/random';
import { makeVolume } from '../main/data/volume';
import { AUGMENT_DEFAULTS } from '../main/train/augment';
import { buildNetwork, type NetworkProbe } from '../main/train/network';
import type { NetworkOptions, SegNet } from '../main/train/segNet';
import { type TrainVolume, trainCandidate } from '../main/train/trainer';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    size: { type: 'string', default: '32' },
    specs: { type: 'string', default: 'n29p4s1r1,n29p4s0r0,n8p4s1r1,n8p2s0r1' },
    schemes: { type: 'string', default: 'built,he,glorot,he-lecun,he-zerogamma,torch' },
    'train-cases': { type: 'string', default: '20' },
    'val-cases': { type: 'string', default: '10' },
    epochs: { type: 'string', default: '0' },
    seed: { type: 'string', default: '2' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(
    'usage: npm run bench:init -- [--data DIR] [--size S] [--specs n29p4s1r1[b3:2-0-2],...] [--schemes built,he,glorot,he-lecun,he-zerogamma,torch] [--epochs E] [--train-cases N] [--val-cases N] [--seed K]',
  );
  process.exit(0);
}

/** `n29p4s1r1` (SegNAS4 block) or `n29p4s1r1b4:3-5-6-0-0-2` (nodes:ops). */
function parseSpec(text: string): ArchitectureSpec {
  const m = /^n(\d+)p(\d+)s([01])r([01])(?:b([234]):([0-6](?:-[0-6])*))?$/.exec(text);
  if (!m)
    throw new Error(`--specs: cannot read "${text}" (expected e.g. n29p4s1r1 or n8p4s1r1b4:5-4-2-6-0-3)`);
  const block = m[5]
    ? { nodes: Number(m[5]) as 2 | 3 | 4, ops: m[6].split('-').map(Number) as OpCode[] }
    : { nodes: 3 as const, ops: [2, 0, 2] as OpCode[] };
  return { n: Number(m[1]), p: Number(m[2]), sup: m[3] === '1', res: m[4] === '1', block, extras: {} };
}

const size = Number(values.size);
const seed = Number(values.seed);
const epochs = Number(values.epochs);

async function loadCases(count: number): Promise<{ cases: TrainVolume[]; classes: number }> {
  if (values.data) {
    const report = requireUsable(await discoverDataset(values.data));
    const cases: TrainVolume[] = [];
    for await (const c of preprocessDataset(report, size, report.usableCaseIds.slice(0, count)))
      cases.push({ image: c.image, label: c.label! });
    return { cases, classes: report.labelMapping.values.length };
  }
  const mapping = buildLabelMapping(PHANTOM_LABELS, []);
  const cases = Array.from({ length: count }, (_, i) => {
    const c = generatePhantomCase(size, seededRng(1000 + i));
    const pre = preprocessCase(
      makeVolume({ dims: c.dims, data: c.image, datatype: 'float32' }),
      makeVolume({ dims: c.dims, data: c.label, datatype: 'uint8' }),
      { size, mapping },
    );
    return { image: pre.image, label: pre.label! };
  });
  return { cases, classes: PHANTOM_LABELS.length };
}

/** Overwrites the built weights with a scheme's, by variable name (see the file comment). */
function reinitialise(net: SegNet, scheme: string, schemeSeed: number): void {
  if (scheme === 'built') return;
  const byName = new Map(net.variables.map((v) => [v.name, v]));
  let s = schemeSeed * 7919;
  const truncated = (shape: number[], std: number) => tf.truncatedNormal(shape, 0, std, 'float32', ++s);
  const uniform = (shape: number[], limit: number) => tf.randomUniform(shape, -limit, limit, 'float32', ++s);
  const lastNode = net.spec.block.nodes - 1;
  for (const v of net.variables) {
    const name = v.name;
    let next: tf.Tensor | undefined;
    if (name.endsWith('/w')) {
      const [k, , , cin, cout] = v.shape;
      const fanIn = k ** 3 * cin;
      const fanOut = k ** 3 * cout;
      const base = name.slice(0, -2);
      const isHead = /\/head\d+\/w$/.test(name);
      const isProjection = !isHead && !byName.has(`${base}/bn/gamma`);
      if (scheme === 'torch' || scheme === 'torch-b0') next = uniform(v.shape, 1 / Math.sqrt(fanIn));
      else if (scheme === 'he-torchproj' && isProjection) next = uniform(v.shape, 1 / Math.sqrt(fanIn));
      else if (scheme === 'glorot' || isHead) next = uniform(v.shape, Math.sqrt(6 / (fanIn + fanOut)));
      else if (scheme === 'he-lecun' && isProjection)
        next = truncated(v.shape, Math.sqrt(1 / fanIn) / 0.8796256610342398);
      else next = truncated(v.shape, Math.sqrt(2 / fanIn) / 0.8796256610342398);
    } else if (/\/head\d+\/b$/.test(name) && scheme === 'torch') {
      const w = byName.get(`${name.slice(0, -2)}/w`);
      next = uniform(v.shape, 1 / Math.sqrt(w?.shape[3] ?? 1));
    } else if (name.endsWith('/bn/gamma') && scheme === 'he-zerogamma' && net.spec.res) {
      const edge = /\/e(\d)(\d)\/bn\/gamma$/.exec(name);
      if (edge && Number(edge[2]) === lastNode) next = tf.zeros(v.shape);
    }
    if (next) {
      v.assign(next as tf.Tensor);
      next.dispose();
    }
  }
}

interface InitialStats {
  rms: Array<[string, number]>;
  logitStd: number;
  saturated: number;
}

function initialStats(
  spec: ArchitectureSpec,
  options: NetworkOptions,
  scheme: string,
  x: tf.Tensor5D,
): InitialStats {
  const rms: Array<[string, number]> = [];
  let logitStd = Number.NaN;
  const probe: NetworkProbe = (name, map) => {
    if (name === 'head0') {
      const { variance } = tf.moments(map);
      logitStd = Math.sqrt(variance.dataSync()[0]);
    } else if (!name.startsWith('head')) rms.push([name, Math.sqrt(tf.mean(tf.square(map)).dataSync()[0])]);
  };
  const net = buildNetwork(spec, options, probe);
  try {
    reinitialise(net, scheme, options.seed);
    const probs = net.apply(x, true).probs;
    const saturated = tf.tidy(
      () => tf.mean(tf.cast(tf.greater(tf.max(probs, -1), 0.999), 'float32')).dataSync()[0],
    );
    tf.dispose(probs);
    return { rms, logitStd, saturated };
  } finally {
    net.dispose();
  }
}

async function main() {
  await initBackend();
  const trainCount = Number(values['train-cases']);
  const valCount = Number(values['val-cases']);
  const { cases, classes } = await loadCases(epochs > 0 ? trainCount + valCount : 1);
  const specs = (values.specs ?? '').split(',').map(parseSpec);
  const schemes = (values.schemes ?? '').split(',');
  const x = tf.tensor5d(cases[0].image, [1, size, size, size, 1]);
  for (const spec of specs) {
    const options: NetworkOptions = { classes, size, inChannels: 1, dropout: 0.1, seed };
    const label = `n${spec.n} p${spec.p} sup${Number(spec.sup)} res${Number(spec.res)} block ${spec.block.nodes}:${spec.block.ops.join(',')}`;
    for (const scheme of schemes) {
      const st = initialStats(spec, options, scheme, x);
      const rms = st.rms.map(([, r]) => r.toFixed(2)).join(' ');
      let line = `${label} | ${scheme} | rms ${rms} | logit std ${st.logitStd.toFixed(2)} | max p > 0.999: ${(100 * st.saturated).toFixed(1)} %`;
      if (epochs > 0) {
        const result = await trainCandidate({
          makeNet: () => {
            const net = buildNetwork(spec, options);
            reinitialise(net, scheme, options.seed);
            return net;
          },
          train: cases.slice(0, trainCount),
          val: cases.slice(trainCount, trainCount + valCount),
          settings: { epochs, batchSize: 1, learningRate: 1e-3, augment: AUGMENT_DEFAULTS, seed },
        });
        const losses = result.history.map((h) => h.loss.toFixed(3)).join(' → ');
        const dice = result.history.map((h) => (h.valDice ?? 0).toFixed(3)).join(' → ');
        line += ` | loss ${losses} | val Dice ${dice} | ${result.seconds.toFixed(0)} s`;
      }
      console.log(line);
    }
  }
  x.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
