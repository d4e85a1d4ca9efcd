/**
 * `npm run bench:crs [-- --json] [--seeds N]`: CRS2-LM on standard test functions with known minima,
 * beside uniform random search at the same budget. A run succeeds when its best f ≤ f* + 0.01.
 * "CRS×4" is the same optimizer with 4 concurrent lanes (what several GPUs give), to show what
 * concurrency costs per evaluation.
 */
import { parseArgs } from 'node:util';
import { type CellSummary, type Method, runCell, SUCCESS_TOLERANCE } from './crsRuns';
import { TEST_FUNCTIONS } from './testFunctions';

const BUDGETS = [300, 1000];
const METHODS: Method[] = ['crs', 'crs4', 'random'];
const LABEL: Record<Method, string> = {
  crs: 'CRS',
  crs4: 'CRS×4',
  crsTrainings: 'CRS/trainings',
  random: 'random',
};

const { values } = parseArgs({
  options: { json: { type: 'boolean' }, seeds: { type: 'string', default: '50' }, help: { type: 'boolean' } },
});
if (values.help) {
  console.log(
    'usage: npm run bench:crs -- [--json] [--seeds N]   (default 50 seeds per function and budget)',
  );
  process.exit(0);
}
const seeds = Number(values.seeds);
if (!Number.isInteger(seeds) || seeds < 1)
  throw new Error(`--seeds must be a positive integer, got ${values.seeds}`);

const started = performance.now();
const cells: CellSummary[] = [];
for (const tf of TEST_FUNCTIONS)
  for (const budget of BUDGETS) {
    for (const method of METHODS) cells.push(await runCell(tf, budget, method, seeds));
    if (tf.key) cells.push(await runCell(tf, budget, 'crsTrainings', seeds));
  }
const seconds = (performance.now() - started) / 1000;

if (values.json) {
  console.log(
    JSON.stringify({ seeds, tolerance: SUCCESS_TOLERANCE, budgets: BUDGETS, seconds, cells }, null, 2),
  );
} else {
  const fmt = (v: number) =>
    Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : v.toFixed(4);
  const pct = (v: number) => `${Math.round(v * 100)}%`;
  const header = [
    'function',
    'f*',
    'evals',
    ...METHODS.flatMap((m) => [`${LABEL[m]} ok`, `${LABEL[m]} med f`, `${LABEL[m]} med n`]),
  ];
  const rows = TEST_FUNCTIONS.flatMap((tf) =>
    BUDGETS.map((budget) => {
      const of = (m: Method) => cells.find((c) => c.fn === tf.name && c.budget === budget && c.method === m)!;
      return [
        tf.name,
        fmt(tf.fStar),
        String(budget),
        ...METHODS.flatMap((m) => {
          const c = of(m);
          return [
            pct(c.successRate),
            fmt(c.medianBestF),
            c.medianEvalsToSuccess === null ? '–' : String(c.medianEvalsToSuccess),
          ];
        }),
      ];
    }),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`;
  console.log(
    `CRS2-LM vs uniform random search, ${seeds} seeds per cell; success = best f ≤ f* + ${SUCCESS_TOLERANCE}`,
  );
  console.log(
    'ok = success rate, med f = median best f, med n = median evaluations to success (successful runs)\n',
  );
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  console.log('\nBudget counted in trainings (repeated floor(x) free), functions of floor(x):');
  for (const c of cells.filter((c) => c.method === 'crsTrainings'))
    console.log(
      `  ${c.fn}, ${c.budget} trainings: ok ${pct(c.successRate)}, med f ${fmt(c.medianBestF)}, med trainings to success ${c.medianEvalsToSuccess ?? '–'}`,
    );
  console.log(`\n${seconds.toFixed(1)} s`);
}
