/** `segnas space`: shows a search space (a Table 2 preset or a custom bounds file) and checks it. */
import { readBoundedFileSync } from '../../data/inputFile';
import { getPreset, PRESET_IDS } from '../../nas/presets';
import {
  countCombinations,
  createSearchSpace,
  type IntegerBound,
  type SearchBounds,
  type SearchSpace,
} from '../../nas/searchSpace';
import { asUsageError, defineCommand, type OptionValues } from '../command';

/** Options shared with `segnas arch`. */
export const SPACE_OPTIONS = {
  variant: { type: 'string', arg: 'ID', help: "a preset of the paper's Table 2 (default segnas11)" },
  config: {
    type: 'string',
    arg: 'FILE',
    help: `a custom search space as JSON: {"n": {"lo": 8, "hi": 33}, "p": {"fixed": 4}, …,
"ops": [...], "extras": {"learningRate": {"lo": 1e-4, "hi": 1e-2, "scale": "log"}}}`,
  },
  'input-size': {
    type: 'string',
    arg: 'S',
    help: 'network input size (S or SxSxS); also checks that p keeps at least 1 voxel',
  },
} as const;

export type SpaceArgs = OptionValues<typeof SPACE_OPTIONS>;

export interface LoadedSpace {
  id: string;
  name: string;
  description: string;
  space: SearchSpace;
}

/** Resolves --variant / --config / --input-size into a validated space; what it throws is a usage error. */
export function loadSpace(args: SpaceArgs): LoadedSpace {
  return asUsageError(() => resolveSpace(args));
}

function resolveSpace(args: SpaceArgs): LoadedSpace {
  if (args.variant && args.config) throw new Error('give either --variant or --config, not both');
  const inputSize = args['input-size'] === undefined ? undefined : parseInputSize(args['input-size']);
  if (args.config) {
    let raw: unknown;
    try {
      raw = JSON.parse(readBoundedFileSync(args.config, 1 << 20, 'search space file').toString('utf8'));
    } catch (error) {
      throw new Error(`cannot read search space ${args.config}: ${(error as Error).message}`);
    }
    const space = createSearchSpace(raw as SearchBounds, { inputSize, source: args.config });
    return { id: 'custom', name: 'Custom', description: `bounds from ${args.config}`, space };
  }
  const preset = getPreset(args.variant ?? 'segnas11');
  const space = createSearchSpace(preset.space, { inputSize, source: `variant ${preset.id}` });
  return { id: preset.id, name: preset.name, description: preset.description, space };
}

function parseInputSize(text: string): number[] {
  const parts = text.split(/[x×,]/).map(Number);
  if (!(parts.length === 1 || parts.length === 3) || parts.some((v) => !Number.isInteger(v) || v < 1))
    throw new Error(`--input-size must be S or SxSxS with positive integers, got "${text}"`);
  return parts.length === 1 ? [parts[0], parts[0], parts[0]] : parts;
}

const formatBound = (b: IntegerBound) => ('fixed' in b ? `${b.fixed} (fixed)` : `[${b.lo}, ${b.hi})`);

function describe(loaded: LoadedSpace) {
  const config = loaded.space.config;
  const rows: Array<{ name: string; bounds: string; searched: boolean }> = [
    ...(['n', 'p', 'sup', 'res', 'nodes'] as const).map((name) => ({
      name,
      bounds: formatBound(config[name]),
      searched: !('fixed' in config[name]),
    })),
    ...config.ops.map((b, i) => ({ name: `ops${i}`, bounds: formatBound(b), searched: !('fixed' in b) })),
    ...Object.entries(config.extras ?? {}).map(([name, b]) => ({
      name,
      bounds: 'fixed' in b ? `${b.fixed} (fixed)` : `[${b.lo}, ${b.hi}) ${b.scale ?? 'linear'}`,
      searched: !('fixed' in b),
    })),
  ];
  return { rows, counts: countCombinations(config), population: 10 * (loaded.space.dims.length + 1) };
}

export const { run } = defineCommand({
  name: 'space',
  usage: `segnas space [--variant ${PRESET_IDS.join('|')} | --config FILE] [--input-size S] [--json]`,
  description: `Prints the hyperparameters of a search space, their half-open bounds [lo, hi) or fixed values, which
of them the optimizer searches, and how many architectures that makes.`,
  options: { ...SPACE_OPTIONS, json: { type: 'boolean', help: 'machine-readable output' } },
  action({ values }) {
    const loaded = loadSpace(values);
    const { rows, counts, population } = describe(loaded);
    const { space } = loaded;
    if (values.json) {
      console.log(
        JSON.stringify(
          {
            variant: loaded.id,
            name: loaded.name,
            description: loaded.description,
            space: space.config,
            dims: space.dims,
            lower: space.lower,
            upper: space.upper,
            populationSize: population,
            combinations: counts,
          },
          null,
          2,
        ),
      );
      return 0;
    }
    const width = Math.max(...rows.map((r) => r.name.length));
    console.log(`${loaded.name} — ${loaded.description}\n`);
    for (const r of rows)
      console.log(`  ${r.name.padEnd(width)}  ${r.bounds.padEnd(24)}  ${r.searched ? 'searched' : ''}`);
    console.log(
      `\n${space.dims.length} searched dimensions; CRS population 10·(${space.dims.length}+1) = ${population}.` +
        `\n${counts.cells.toLocaleString('en-US')} floor(x) combinations, ${counts.architectures.toLocaleString('en-US')} distinct architectures` +
        ' (ops beyond a block’s nodes are unused).',
    );
    return 0;
  },
});
