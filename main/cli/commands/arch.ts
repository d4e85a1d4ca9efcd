/** `segnas arch`: decodes a point x of a search space into its architecture, matrix and legality. */
import { parseArgs } from 'node:util';
import { blockEdges, blockMatrix, checkBlock, formatMatrix } from '../../core/blockMatrix';
import { type ArchitectureSpec, OPS } from '../../core/spec';
import { describeNetwork, type NetworkDescription } from '../../train/describe';
import { type LoadedSpace, loadSpace, SPACE_OPTIONS, type SpaceArgs } from './space';

const HELP = `usage: segnas arch [--variant ID | --config FILE] --x '[x1, x2, …]'
                  [--classes K] [--size S] [--batch B] [--json]

Decodes a point of the search space as the search does (floor, x at an upper bound → hi−1) and
prints the architecture, its cache key, the block's operation matrix and edges, and whether the
block is legal (only node 0 a source, only the last node a sink). For a legal block it also prints
the network: trainable parameters, the tensor shape at every level and the predicted training memory.

  --variant ID      segnas11 (default), segnas4 or segnas7
  --config FILE     a custom search space as JSON (see segnas space --help)
  --x JSON          the searched coordinates, in the order segnas space lists them
  --classes K       classes incl. background (default 2)
  --size S          cube side of the input volume (default 32)
  --batch B         batch size for the memory estimate (default 1)
  --json            machine-readable output
  --help            this text`;

function parsePoint(text: string | undefined, loaded: LoadedSpace): number[] {
  const names = loaded.space.dims.map((d) => d.name).join(', ');
  if (text === undefined)
    throw new Error(`--x is required: a JSON array of ${loaded.space.dims.length} numbers (${names})`);
  let x: unknown;
  try {
    x = JSON.parse(text);
  } catch {
    throw new Error(`--x must be a JSON array of numbers, e.g. '[16.5, 3, 0, 1]', got ${text}`);
  }
  if (!Array.isArray(x) || x.some((v) => typeof v !== 'number' || !Number.isFinite(v)))
    throw new Error(`--x must be a JSON array of finite numbers, got ${text}`);
  if (x.length !== loaded.space.dims.length)
    throw new Error(
      `${loaded.name} searches ${loaded.space.dims.length} coordinates (${names}); --x has ${x.length}`,
    );
  return x;
}

export async function run(argv: string[]): Promise<number> {
  let values: SpaceArgs & {
    x?: string;
    classes?: string;
    size?: string;
    batch?: string;
    json?: boolean;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        ...SPACE_OPTIONS,
        x: { type: 'string' },
        classes: { type: 'string' },
        size: { type: 'string' },
        batch: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`segnas arch: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  let loaded: LoadedSpace;
  let x: number[];
  let shape: NetworkShapeArgs;
  try {
    loaded = loadSpace(values);
    x = parsePoint(values.x, loaded);
    shape = {
      classes: positiveInt(values.classes, '--classes', 2, 2),
      size: positiveInt(values.size, '--size', 32, 1),
      batch: positiveInt(values.batch, '--batch', 1, 1),
    };
  } catch (error) {
    console.error(`segnas arch: ${(error as Error).message}`);
    return 2;
  }
  const spec = loaded.space.decode(x);
  const matrix = blockMatrix(spec.block);
  const edges = blockEdges(spec.block);
  const legality = checkBlock(spec.block);
  const key = loaded.space.key(x);
  const network = legality.legal ? networkOrProblem(spec, shape) : undefined;
  if (values.json) {
    console.log(
      JSON.stringify(
        { variant: loaded.id, x, spec, key, matrix, edges, legality, ...shape, network },
        null,
        2,
      ),
    );
    return 0;
  }
  const extras = Object.entries(spec.extras).map(([k, v]) => `, ${k} ${v}`);
  console.log(`${loaded.name} at x = [${x.join(', ')}]`);
  console.log(
    `  n ${spec.n}, p ${spec.p}, deep supervision ${spec.sup ? 'on' : 'off'}, residual ${spec.res ? 'on' : 'off'}, ` +
      `block of ${spec.block.nodes} nodes, ops {${spec.block.ops.join(',')}}${extras.join('')}`,
  );
  console.log(`  key ${key}\n\noperation matrix (row = from, column = to):`);
  console.log(formatMatrix(matrix).replace(/^/gm, '  '));
  console.log('\nedges:');
  for (const e of edges) console.log(`  ${e.from} → ${e.to}  ${OPS[e.op].label}`);
  console.log(
    legality.legal
      ? '\nlegal block'
      : `\nillegal block (f = 10, never trained):\n${legality.problems.map((p) => `  ${p.message}`).join('\n')}`,
  );
  if (network && 'problem' in network) console.log(`\nnetwork: ${network.problem}`);
  else if (network) {
    console.log(
      `\nnetwork for ${shape.classes} classes at ${shape.size}³, batch ${shape.batch}: ` +
        `${network.paramCount.toLocaleString('en-US')} trainable parameters, ` +
        `about ${(network.estimatedTrainingBytes / 2 ** 20).toFixed(0)} MiB to train`,
    );
    for (const l of network.levels)
      console.log(
        `  ${l.path} ${l.level}  [${l.shape.join(', ')}]  ${l.inChannels} → ${l.channels} channels`,
      );
  }
  return 0;
}

interface NetworkShapeArgs {
  classes: number;
  size: number;
  batch: number;
}

function positiveInt(text: string | undefined, flag: string, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) throw new Error(`${flag} must be an integer ≥ ${min}, got ${text}`);
  return v;
}

/** A network that cannot be built at this size (S not a multiple of 2^p) is reported, not thrown. */
function networkOrProblem(
  spec: ArchitectureSpec,
  shape: NetworkShapeArgs,
): NetworkDescription | { problem: string } {
  try {
    return describeNetwork(spec, shape);
  } catch (error) {
    return { problem: (error as Error).message };
  }
}
