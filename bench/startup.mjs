#!/usr/bin/env node
/**
 * Cold start from the TypeScript sources (tsx) and from the production build, alternating so that
 * both see the same machine load:
 *   - `segnas --help`: process start to exit;
 *   - a TensorFlow.js trainer process: fork to its `ready` line (backend chosen and self-checked).
 * Builds first (scripts/build.mjs --no-renderer). Prints the median and range of each in ms, and bare
 * Node's start for scale.
 * usage: npm run bench:startup [-- --runs N]
 */
import { fork, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
const runs = Number(values.runs);

const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--no-renderer'], {
  stdio: 'inherit',
});
if (build.status !== 0) process.exit(1);

function help(fromSources) {
  const env = { ...process.env, SEGNAS_FROM_SOURCES: fromSources ? '1' : '' };
  const started = performance.now();
  const result = spawnSync(process.execPath, [join(root, 'bin/segnas.mjs'), '--help'], { env, cwd: root });
  if (result.status !== 0) throw new Error(`segnas --help failed: ${result.stderr}`);
  return performance.now() - started;
}

/** Node itself, for scale: what no start-up can go below on this machine. */
function bareNode() {
  const started = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  return performance.now() - started;
}

function trainer(fromSources) {
  const [modulePath, execArgv] = fromSources
    ? [join(root, 'main/compute/trainerWorker.ts'), ['--import', 'tsx']]
    : [join(root, 'dist-engine/trainerWorker.mjs'), []];
  const started = performance.now();
  const child = fork(modulePath, [], { cwd: root, execArgv, stdio: ['pipe', 'pipe', 'pipe', 'ipc'] });
  return new Promise((resolveReady, reject) => {
    child.on('exit', (code) => reject(new Error(`trainer exited with code ${code} before ready`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.includes('"ready"')) return;
      const ms = performance.now() - started;
      child.removeAllListeners('exit');
      child.kill();
      resolveReady(ms);
    });
  });
}

const summary = (ms) => {
  const sorted = [...ms].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  return `median ${Math.round(median)} ms (${Math.round(sorted[0])}–${Math.round(sorted.at(-1))}, ${ms.length} runs)`;
};

const times = { node: [], help: { sources: [], build: [] }, trainer: { sources: [], build: [] } };
for (let i = 0; i < runs; i++) {
  times.node.push(bareNode());
  for (const from of ['sources', 'build']) {
    times.help[from].push(help(from === 'sources'));
    times.trainer[from].push(await trainer(from === 'sources'));
  }
}
console.log(`node -e 0 (for scale):           ${summary(times.node)}`);
console.log(`segnas --help       sources (tsx): ${summary(times.help.sources)}`);
console.log(`                    build:         ${summary(times.help.build)}`);
console.log(`trainer to ready    sources (tsx): ${summary(times.trainer.sources)}`);
console.log(`                    build:         ${summary(times.trainer.build)}`);
