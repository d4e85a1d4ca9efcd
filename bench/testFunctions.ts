/**
 * Standard global-optimization test functions with known minima (Dixon & Szegö set and friends),
 * used by the CRS benchmark and its tests. Values of f* from the literature (e.g. Surjanovic & Bingham's
 * Virtual Library of Simulation Experiments).
 */

import segnas11 from '../assets/presets/segnas11.json';
import { checkBlock } from '../main/core/blockMatrix';
import type { SearchBounds } from '../main/nas/searchSpace';
import { createSearchSpace } from '../main/nas/searchSpace';

export interface TestFunction {
  name: string;
  lower: number[];
  upper: number[];
  /** Known global minimum value. */
  fStar: number;
  f(x: readonly number[]): number;
  /**
   * For functions of floor(x): the cache key of x, so repeats can be served free (budget in trainings);
   * null where the point would never be trained (an illegal block).
   */
  key?: (x: readonly number[]) => string | null;
}

const repeat = (v: number, n: number) => Array<number>(n).fill(v);

export const branin: TestFunction = {
  name: 'Branin',
  lower: [-5, 0],
  upper: [10, 15],
  fStar: 0.397887357729739,
  f: ([x1, x2]) => {
    const b = 5.1 / (4 * Math.PI ** 2);
    const c = 5 / Math.PI;
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;
  },
};

export const goldsteinPrice: TestFunction = {
  name: 'Goldstein-Price',
  lower: [-2, -2],
  upper: [2, 2],
  fStar: 3,
  f: ([x, y]) =>
    (1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x ** 2 - 14 * y + 6 * x * y + 3 * y ** 2)) *
    (30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x ** 2 + 48 * y - 36 * x * y + 27 * y ** 2)),
};

export const sixHumpCamel: TestFunction = {
  name: 'Six-hump camel',
  lower: [-3, -2],
  upper: [3, 2],
  fStar: -1.031628453489877,
  f: ([x, y]) => (4 - 2.1 * x ** 2 + x ** 4 / 3) * x ** 2 + x * y + (-4 + 4 * y ** 2) * y ** 2,
};

function hartman(alpha: number[], A: number[][], P: number[][]) {
  return (x: readonly number[]) =>
    -alpha.reduce(
      (sum, a, i) => sum + a * Math.exp(-A[i].reduce((s, aij, j) => s + aij * (x[j] - P[i][j]) ** 2, 0)),
      0,
    );
}

export const hartman3: TestFunction = {
  name: 'Hartman3',
  lower: repeat(0, 3),
  upper: repeat(1, 3),
  fStar: -3.86278214782076,
  f: hartman(
    [1, 1.2, 3, 3.2],
    [
      [3, 10, 30],
      [0.1, 10, 35],
      [3, 10, 30],
      [0.1, 10, 35],
    ],
    [
      [0.3689, 0.117, 0.2673],
      [0.4699, 0.4387, 0.747],
      [0.1091, 0.8732, 0.5547],
      [0.0381, 0.5743, 0.8828],
    ],
  ),
};

export const hartman6: TestFunction = {
  name: 'Hartman6',
  lower: repeat(0, 6),
  upper: repeat(1, 6),
  fStar: -3.32236801141551,
  f: hartman(
    [1, 1.2, 3, 3.2],
    [
      [10, 3, 17, 3.5, 1.7, 8],
      [0.05, 10, 17, 0.1, 8, 14],
      [3, 3.5, 1.7, 10, 17, 8],
      [17, 8, 0.05, 10, 0.1, 14],
    ],
    [
      [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
      [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
      [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.665],
      [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
    ],
  ),
};

const SHEKEL_C = [0.1, 0.2, 0.2, 0.4, 0.4, 0.6, 0.3, 0.7, 0.5, 0.5];
const SHEKEL_A = [
  [4, 4, 4, 4],
  [1, 1, 1, 1],
  [8, 8, 8, 8],
  [6, 6, 6, 6],
  [3, 7, 3, 7],
  [2, 9, 2, 9],
  [5, 5, 3, 3],
  [8, 1, 8, 1],
  [6, 2, 6, 2],
  [7, 3.6, 7, 3.6],
];

function shekel(m: number, fStar: number): TestFunction {
  return {
    name: `Shekel${m}`,
    lower: repeat(0, 4),
    upper: repeat(10, 4),
    fStar,
    f: (x) => {
      let sum = 0;
      for (let i = 0; i < m; i++)
        sum -= 1 / (SHEKEL_A[i].reduce((s, a, j) => s + (x[j] - a) ** 2, 0) + SHEKEL_C[i]);
      return sum;
    },
  };
}

export const shekel5 = shekel(5, -10.1531996790582);
export const shekel7 = shekel(7, -10.4029405668187);
export const shekel10 = shekel(10, -10.536409816692);

function rastrigin(n: number): TestFunction {
  return {
    name: `Rastrigin${n}D`,
    lower: repeat(-5.12, n),
    upper: repeat(5.12, n),
    fStar: 0,
    f: (x) => 10 * n + x.reduce((s, xi) => s + xi * xi - 10 * Math.cos(2 * Math.PI * xi), 0),
  };
}

export const rastrigin5 = rastrigin(5);
export const rastrigin11 = rastrigin(11);

export const rosenbrock4: TestFunction = {
  name: 'Rosenbrock4D',
  lower: repeat(-5, 4),
  upper: repeat(10, 4),
  fStar: 0,
  f: (x) => {
    let s = 0;
    for (let i = 0; i < x.length - 1; i++) s += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2;
    return s;
  },
};

/**
 * An 11-D function of floor(x) over the SegNAS11 box that behaves like an architecture search:
 * integer plateaus, illegal blocks worth 10 (as in the paper), unused ops without effect, and two
 * basins — the global one at architecture A and a deceptive, wider one at B that is 0.3 worse.
 */
function integerArchitecture(): TestFunction {
  const space = createSearchSpace(segnas11.space as SearchBounds);
  const A = { n: 20, p: 3, sup: 1, res: 1, nodes: 3, ops: [2, 6, 4] };
  const B = { n: 12, p: 5, sup: 0, res: 0, nodes: 4, ops: [2, 0, 2, 0, 0, 2] };
  type Target = typeof A;
  const distance = (t: Target, spec: ReturnType<typeof space.decode>): number => {
    let d = 0.02 * Math.abs(spec.n - t.n) + 0.1 * Math.abs(spec.p - t.p);
    d += 0.1 * (Number(spec.sup) !== t.sup ? 1 : 0) + 0.1 * (Number(spec.res) !== t.res ? 1 : 0);
    d += 0.15 * Math.abs(spec.block.nodes - t.nodes);
    const k = Math.min(spec.block.ops.length, t.ops.length);
    for (let i = 0; i < k; i++) d += spec.block.ops[i] === t.ops[i] ? 0 : 0.05;
    return d;
  };
  return {
    name: 'Integer11 (floor)',
    lower: space.lower,
    upper: space.upper,
    fStar: 0,
    f: (x) => {
      const spec = space.decode(x);
      if (!checkBlock(spec.block).legal) return 10;
      return Math.min(distance(A, spec), 0.3 + 0.5 * distance(B, spec));
    },
    key: (x) => (checkBlock(space.decode(x).block).legal ? space.key(x) : null),
  };
}

export const integer11 = integerArchitecture();

export const TEST_FUNCTIONS: readonly TestFunction[] = [
  branin,
  goldsteinPrice,
  sixHumpCamel,
  hartman3,
  hartman6,
  shekel5,
  shekel7,
  shekel10,
  rastrigin5,
  rastrigin11,
  rosenbrock4,
  integer11,
];
