/**
 * The search space (paper §2.3, Table 2): bounds of each hyperparameter, which of them are fixed, and
 * how a continuous point x of the optimizer becomes an architecture (floor decoding).
 *
 * The optimizer only sees the free dimensions; `SearchSpace` maps free x ↔ full hyperparameter values.
 * `SearchBounds` is plain JSON so that presets, the UI and the store can keep it as data.
 */
import { blockFromOps, MAX_NODES, MIN_NODES, opsForNodes } from '../core/blockMatrix';
import type { ContinuousBound, FixedBound, IntegerBound, SearchBounds } from '../core/searchBounds';
import { NETWORK_HYPERPARAMETERS } from '../core/searchBounds';
import type { ArchitectureSpec, NodeCount } from '../core/spec';
import type { ValidationIssue } from '../core/validationIssue';

export type {
  ContinuousBound,
  FixedBound,
  IntegerBound,
  RangeBound,
  SearchBounds,
} from '../core/searchBounds';
export type { ValidationIssue } from '../core/validationIssue';

/** One dimension the optimizer moves in (a free hyperparameter). */
export interface Dimension {
  /** 'n', 'p', 'sup', 'res', 'nodes', 'ops0'…'ops5', or the extra's name. */
  name: string;
  kind: 'integer' | 'continuous';
  /** Optimizer coordinates: for log-scale extras these are log10 of the value. */
  lo: number;
  hi: number;
  scale: 'linear' | 'log';
}

/** Every hyperparameter's value at a point, fixed ones included. */
export interface HyperparameterValues {
  n: number;
  p: number;
  sup: number;
  res: number;
  nodes: number;
  /** Full-length ops vector, unused tail included (the paper's struck-through ops). */
  ops: number[];
  extras: Record<string, number>;
}

export class SearchSpaceError extends Error {
  constructor(
    readonly issues: ValidationIssue[],
    source?: string,
  ) {
    super(
      `${source ? `${source}: ` : ''}invalid search space:\n${issues.map((i) => `  ${i.field}: ${i.message}`).join('\n')}`,
    );
    this.name = 'SearchSpaceError';
  }
}

export interface ValidationOptions {
  /** Network input size (voxels per axis, or one number for a cube); enables the check on p. */
  inputSize?: number | readonly number[];
}

const INTEGER_FIELDS = NETWORK_HYPERPARAMETERS;
type IntegerField = (typeof INTEGER_FIELDS)[number];

/** Allowed values (inclusive) of each integer hyperparameter, whatever the bounds say. */
const DOMAIN: Record<IntegerField | 'ops', { min: number; max: number; what: string }> = {
  n: { min: 1, max: Number.MAX_SAFE_INTEGER, what: 'at least 1 channel' },
  p: { min: 0, max: 30, what: '0..30 poolings' },
  sup: { min: 0, max: 1, what: '0 (off) or 1 (on)' },
  res: { min: 0, max: 1, what: '0 (off) or 1 (on)' },
  nodes: { min: MIN_NODES, max: MAX_NODES, what: `${MIN_NODES}..${MAX_NODES} nodes` },
  ops: { min: 0, max: 6, what: 'op codes 0..6 (Table 1)' },
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isFixed = (b: IntegerBound | ContinuousBound): b is FixedBound => 'fixed' in b;

/** Smallest and largest value an integer bound admits (half-open upper bound). */
function integerRange(b: IntegerBound): { min: number; max: number } {
  return isFixed(b) ? { min: b.fixed, max: b.fixed } : { min: b.lo, max: b.hi - 1 };
}

function checkIntegerBound(
  raw: unknown,
  field: string,
  domain: { min: number; max: number; what: string },
  issues: ValidationIssue[],
): IntegerBound | undefined {
  const fail = (message: string) => {
    issues.push({ field, message });
    return undefined;
  };
  if (!isObject(raw)) return fail('must be {"lo": a, "hi": b} (half-open [a, b)) or {"fixed": v}');
  if ('fixed' in raw) {
    const v = raw.fixed;
    if (typeof v !== 'number' || !Number.isInteger(v))
      return fail(`fixed value must be an integer, got ${String(v)}`);
    if (v < domain.min || v > domain.max) return fail(`fixed value ${v} is outside ${domain.what}`);
    return { fixed: v };
  }
  const { lo, hi } = raw;
  if (typeof lo !== 'number' || typeof hi !== 'number' || !Number.isFinite(lo) || !Number.isFinite(hi))
    return fail('must have numeric "lo" and "hi" (half-open [lo, hi)) or a "fixed" value');
  if (!Number.isInteger(lo) || !Number.isInteger(hi))
    return fail(`bounds of an integer hyperparameter must be integers, got [${lo}, ${hi})`);
  if (lo >= hi)
    return fail(`lower bound ${lo} must be below upper bound ${hi} (bounds are half-open [lo, hi))`);
  if (lo < domain.min || hi - 1 > domain.max)
    return fail(`[${lo}, ${hi}) admits values ${lo}..${hi - 1}, outside ${domain.what}`);
  return { lo, hi };
}

function checkContinuousBound(
  raw: unknown,
  field: string,
  issues: ValidationIssue[],
): ContinuousBound | undefined {
  const fail = (message: string) => {
    issues.push({ field, message });
    return undefined;
  };
  if (!isObject(raw)) return fail('must be {"lo": a, "hi": b, "scale": "linear" | "log"} or {"fixed": v}');
  if ('fixed' in raw) {
    if (typeof raw.fixed !== 'number' || !Number.isFinite(raw.fixed))
      return fail(`fixed value must be a finite number, got ${String(raw.fixed)}`);
    return { fixed: raw.fixed };
  }
  const { lo, hi, scale = 'linear' } = raw;
  if (typeof lo !== 'number' || typeof hi !== 'number' || !Number.isFinite(lo) || !Number.isFinite(hi))
    return fail('must have finite numeric "lo" and "hi" or a "fixed" value');
  if (scale !== 'linear' && scale !== 'log')
    return fail(`scale must be "linear" or "log", got ${String(scale)}`);
  if (lo >= hi) return fail(`lower bound ${lo} must be below upper bound ${hi}`);
  if (scale === 'log' && lo <= 0) return fail(`a log-scale range needs lo > 0, got ${lo}`);
  return { lo, hi, scale };
}

function inputSizes(size: number | readonly number[]): number[] {
  return typeof size === 'number' ? [size, size, size] : [...size];
}

/**
 * Checks a search space, from JSON or from the UI, and returns every problem found (empty when valid).
 * Each issue names its field, so a form can show it beside the input and a CLI user can fix the file.
 */
export function validateSearchSpaceConfig(raw: unknown, options: ValidationOptions = {}): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (!isObject(raw)) return [{ field: '(root)', message: 'a search space must be a JSON object' }];
  const bounds: Partial<Record<IntegerField, IntegerBound>> = {};
  for (const field of INTEGER_FIELDS)
    bounds[field] = checkIntegerBound(raw[field], field, DOMAIN[field], issues);

  if (!Array.isArray(raw.ops))
    issues.push({ field: 'ops', message: 'must be an array of bounds, one per op' });
  else {
    raw.ops.forEach((op, i) => {
      checkIntegerBound(op, `ops[${i}]`, DOMAIN.ops, issues);
    });
    if (bounds.nodes) {
      const maxNodes = integerRange(bounds.nodes).max;
      const needed = opsForNodes(maxNodes);
      if (raw.ops.length !== needed)
        issues.push({
          field: 'ops',
          message: `blocks of up to ${maxNodes} nodes need exactly ${needed} ops (matrix entries), got ${raw.ops.length}`,
        });
    }
  }

  if (raw.extras !== undefined) {
    if (!isObject(raw.extras)) issues.push({ field: 'extras', message: 'must be an object of named bounds' });
    else
      for (const [name, b] of Object.entries(raw.extras)) {
        const field = `extras.${name}`;
        if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name) || RESERVED_NAMES.has(name))
          issues.push({
            field,
            message: 'extra names must be identifiers other than n, p, sup, res, nodes, ops0..ops5',
          });
        else checkContinuousBound(b, field, issues);
      }
  }

  for (const key of Object.keys(raw))
    if (![...INTEGER_FIELDS, 'ops', 'extras'].includes(key))
      issues.push({
        field: key,
        message: 'unknown hyperparameter (known: n, p, sup, res, nodes, ops, extras)',
      });

  if (options.inputSize !== undefined && bounds.p) {
    const pMax = integerRange(bounds.p).max;
    const sizes = inputSizes(options.inputSize);
    const smallest = Math.min(...sizes);
    if (smallest / 2 ** pMax < 1)
      issues.push({
        field: 'p',
        message: `p up to ${pMax} halves the input ${sizes.join('×')} ${pMax} times, below 1 voxel along its smallest axis (${smallest}/${2 ** pMax}); lower p's upper bound to at most ${Math.floor(Math.log2(smallest)) + 1} or use a larger input size`,
      });
  }
  return issues;
}

/** The space's own dimension names (ops0 … ops5 for the largest block), which an extra may not take. */
const RESERVED_NAMES = new Set<string>([
  ...INTEGER_FIELDS,
  'ops',
  ...Array.from({ length: opsForNodes(MAX_NODES) }, (_, i) => `ops${i}`),
]);

export interface SearchSpace {
  readonly config: SearchBounds;
  /** Free dimensions in optimizer order: n, p, sup, res, nodes, ops0…, then extras by name. */
  readonly dims: readonly Dimension[];
  /** Optimizer box: lower[i] = dims[i].lo, upper[i] = dims[i].hi. */
  readonly lower: number[];
  readonly upper: number[];
  /** All hyperparameter values at the free point x (floored integers, fixed values filled in). */
  values(x: readonly number[]): HyperparameterValues;
  /** The architecture at x: floor decoding, x exactly at an upper bound gives hi−1. */
  decode(x: readonly number[]): ArchitectureSpec;
  /** A free point inside the cell of `values` (integer centres), e.g. to start the search from a known network. */
  encode(values: HyperparameterValues): number[];
  /** Cache key of the architecture at x; see specKey. */
  key(x: readonly number[]): string;
}

/**
 * Stable key of a decoded architecture: two x give the same key exactly when they build the same
 * network. Keying the canonical spec rather than floor(x) means that the unused ops of a block with
 * fewer nodes (the paper's struck-through ops) never cause a second training. Continuous extras are
 * included exactly (String(number) round-trips every double), so they are effectively never shared.
 */
export function specKey(spec: ArchitectureSpec): string {
  const parts = [
    `n=${spec.n}`,
    `p=${spec.p}`,
    `sup=${spec.sup ? 1 : 0}`,
    `res=${spec.res ? 1 : 0}`,
    `nodes=${spec.block.nodes}`,
    `ops=${spec.block.ops.join(',')}`,
  ];
  for (const name of Object.keys(spec.extras).sort()) parts.push(`${name}=${String(spec.extras[name])}`);
  return parts.join(';');
}

/** Validates `config` (throwing SearchSpaceError listing every problem) and compiles it. */
export function createSearchSpace(
  config: SearchBounds,
  options: ValidationOptions & { source?: string } = {},
): SearchSpace {
  const issues = validateSearchSpaceConfig(config, options);
  if (issues.length > 0) throw new SearchSpaceError(issues, options.source);

  type Slot = {
    target:
      | { kind: 'int'; field: IntegerField }
      | { kind: 'op'; index: number }
      | { kind: 'extra'; name: string };
  };
  const dims: Dimension[] = [];
  const slots: Slot['target'][] = [];
  const addInteger = (name: string, b: IntegerBound, target: Slot['target']) => {
    if (isFixed(b)) return;
    dims.push({ name, kind: 'integer', lo: b.lo, hi: b.hi, scale: 'linear' });
    slots.push(target);
  };
  for (const field of INTEGER_FIELDS) addInteger(field, config[field], { kind: 'int', field });
  config.ops.forEach((b, index) => {
    addInteger(`ops${index}`, b, { kind: 'op', index });
  });
  const extras = config.extras ?? {};
  const extraNames = Object.keys(extras).sort();
  for (const name of extraNames) {
    const b = extras[name];
    if (isFixed(b)) continue;
    const scale = b.scale ?? 'linear';
    const [lo, hi] = scale === 'log' ? [Math.log10(b.lo), Math.log10(b.hi)] : [b.lo, b.hi];
    dims.push({ name, kind: 'continuous', lo, hi, scale });
    slots.push({ kind: 'extra', name });
  }

  const fixedValue = (b: IntegerBound) => (isFixed(b) ? b.fixed : b.lo);

  const values = (x: readonly number[]): HyperparameterValues => {
    if (x.length !== dims.length)
      throw new Error(
        `expected a point with ${dims.length} coordinates (${dims.map((d) => d.name).join(', ')}), got ${x.length}`,
      );
    const v: HyperparameterValues = {
      n: fixedValue(config.n),
      p: fixedValue(config.p),
      sup: fixedValue(config.sup),
      res: fixedValue(config.res),
      nodes: fixedValue(config.nodes),
      ops: config.ops.map(fixedValue),
      extras: {},
    };
    for (const name of extraNames) {
      const b = extras[name];
      if (isFixed(b)) v.extras[name] = b.fixed;
    }
    dims.forEach((d, i) => {
      const xi = x[i];
      if (!Number.isFinite(xi)) throw new Error(`coordinate ${d.name} must be a finite number, got ${xi}`);
      const target = slots[i];
      if (target.kind === 'extra') {
        const clamped = Math.min(Math.max(xi, d.lo), d.hi);
        v.extras[target.name] = d.scale === 'log' ? 10 ** clamped : clamped;
        return;
      }
      // Clamping to hi−1 makes x exactly at the upper bound (which CRS's box clamping produces often)
      // decode to the last admissible value instead of one past it.
      const value = Math.min(Math.max(Math.floor(xi), d.lo), d.hi - 1);
      if (target.kind === 'int') v[target.field] = value;
      else v.ops[target.index] = value;
    });
    return v;
  };

  const decode = (x: readonly number[]): ArchitectureSpec => {
    const v = values(x);
    return {
      n: v.n,
      p: v.p,
      sup: v.sup === 1,
      res: v.res === 1,
      block: blockFromOps(v.nodes as NodeCount, v.ops),
      extras: v.extras,
    };
  };

  const encode = (v: HyperparameterValues): number[] =>
    dims.map((d, i) => {
      const target = slots[i];
      if (target.kind === 'extra') {
        const value = v.extras[target.name];
        if (value === undefined) throw new Error(`missing value for extra '${target.name}'`);
        return d.scale === 'log' ? Math.log10(value) : value;
      }
      const value = target.kind === 'int' ? v[target.field] : (v.ops[target.index] ?? d.lo);
      if (!Number.isInteger(value) || value < d.lo || value >= d.hi)
        throw new Error(`${d.name} = ${value} is outside its bounds [${d.lo}, ${d.hi})`);
      return value + 0.5;
    });

  return {
    config,
    dims,
    lower: dims.map((d) => d.lo),
    upper: dims.map((d) => d.hi),
    values,
    decode,
    encode,
    key: (x) => specKey(decode(x)),
  };
}

/**
 * Size of the discrete part of the space: `cells` counts distinct floor(x) (the paper's ">141 millions"
 * for SegNAS11); `architectures` counts distinct networks, where ops beyond a block's nodes don't count.
 * Continuous extras are left out (they make the space infinite).
 */
export function countCombinations(config: SearchBounds): { cells: number; architectures: number } {
  const size = (b: IntegerBound) => (isFixed(b) ? 1 : b.hi - b.lo);
  const connecting = size(config.n) * size(config.p) * size(config.sup) * size(config.res);
  const cells = connecting * size(config.nodes) * config.ops.reduce((prod, b) => prod * size(b), 1);
  const { min, max } = integerRange(config.nodes);
  let blocks = 0;
  for (let nodes = min; nodes <= max; nodes++)
    blocks += config.ops.slice(0, opsForNodes(nodes)).reduce((prod, b) => prod * size(b), 1);
  return { cells, architectures: connecting * blocks };
}
