/**
 * Hostile and unlucky bundles: each is refused (or unpacked) without hanging, exhausting memory or
 * blocking the event loop, and a failed or killed import leaves nothing listed and nothing on disk.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { formatList } from '../../main/cli/commands/list';
import { importBundle, removeAbandonedImports } from '../../main/search/bundle';
import { defaultArchiveLimits, extractArchive } from '../../main/search/bundleArchive';
import { openStore } from '../../main/store';
import { bundleEntries, manifest, modelJson } from '../helpers/bundleFixtures';
import { buildZip, claimedCountZip, sharedStreamZip } from '../helpers/zipBuilder';
import { removeTempDirs, tempDir } from './searchFixtures';

afterAll(removeTempDirs);

const ROOT = resolve(import.meta.dirname, '..', '..');
function write(name: string, bytes: Buffer): string {
  const file = join(tempDir('bundle-in'), name);
  writeFileSync(file, bytes);
  return file;
}

/** Everything under `dir` except the store file (and its journal), relative. */
function leftovers(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => !f.startsWith('segnas.sqlite'))
    .filter((f) => !['experiments', 'imported-datasets', '.imports'].includes(f))
    .sort();
}

async function refused(file: string, pattern: RegExp, limits = defaultArchiveLimits()) {
  const ws = tempDir('ws');
  const store = openStore(ws);
  try {
    await expect(importBundle(store, file, limits)).rejects.toThrow(pattern);
    expect(store.listExperiments()).toEqual([]);
  } finally {
    store.close();
  }
  expect(leftovers(ws)).toEqual([]);
}

describe('bundle archives', () => {
  it('imports a valid bundle whole: rows, model folder and bundled case', async () => {
    const ws = tempDir('ws');
    const store = openStore(ws);
    try {
      const s = await importBundle(store, write('ok.segnas', buildZip(bundleEntries())));
      expect(store.listExperiments().map((e) => e.id)).toEqual([s.experimentId]);
      const dir = join(ws, 'experiments', String(s.experimentId));
      expect(readdirSync(join(dir, 'models', '1')).sort()).toEqual(['model.json', 'weights.bin']);
      const datasetPath = String(store.getExperiment(s.experimentId)?.config.datasetPath);
      expect(existsSync(join(datasetPath, 'imagesTr', 'c1.nii.gz'))).toBe(true);
      expect(readdirSync(ws).includes('.imports') ? readdirSync(join(ws, '.imports')) : []).toEqual([]);
      expect(existsSync(join(dir, '.import-pending.json'))).toBe(false);
    } finally {
      store.close();
    }
  });

  it('refuses entries that share one deflate stream (the zip CPU bomb) before inflating any', async () => {
    const file = write('cpu-bomb.segnas', sharedStreamZip(10_000, 1 << 20));
    await refused(file, /shares or overlaps another entry's data/);
  }, 20_000);

  it('refuses more entries than the limit, and declared ratios deflate cannot produce', async () => {
    await refused(
      write('count.segnas', claimedCountZip(30_000)),
      /lists 30000 entries, more than the limit of 20000/,
    );
    const lie = buildZip([
      ...bundleEntries(),
      { name: 'predictions/1/x.nii', data: new Uint8Array(1000), declaredSize: 2 ** 31 },
    ]);
    await refused(write('ratio.segnas', lie), /ratio above the limit of 1100:1/);
  });

  it('stops an entry that inflates past its declared size, and refuses a damaged one', async () => {
    const grow = buildZip([
      ...bundleEntries(),
      { name: 'predictions/1/x.nii', data: new Uint8Array(1 << 20), declaredSize: 4000 },
    ]);
    await refused(write('grow.segnas', grow), /inflates to more than the 4000 bytes it declares/);
    const bytes = buildZip(
      bundleEntries([{ name: 'report/summary.md', data: Buffer.from('x'.repeat(5000)), method: 0 }]),
    );
    bytes[bytes.indexOf('xxxxx') + 10] = 0x79; // one byte changed: the CRC differs
    await refused(write('crc.segnas', bytes), /entry "report\/summary.md" is damaged .*CRC differs/);
  });

  it('refuses a bundle whose unpacked total is over the limit, before writing anything', async () => {
    const honest = buildZip([
      ...bundleEntries(),
      { name: 'predictions/1/big.nii', data: new Uint8Array(64 << 20) },
    ]);
    expect(honest.length).toBeLessThan(1 << 20);
    await refused(write('honest.segnas', honest), /would unpack to more than 33554432 bytes/, {
      ...defaultArchiveLimits(),
      maxTotalBytes: 32 << 20,
    });
  });

  it('unpacks a large honest bundle to disk while the event loop keeps turning', async () => {
    // 128 MiB of zeros in a 128 KiB file: inflated in zlib's thread pool, streamed to disk.
    const file = write(
      'big.segnas',
      buildZip([{ name: 'predictions/1/big.nii', data: new Uint8Array(128 << 20) }]),
    );
    const dest = join(tempDir('unpacked'), 'x');
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const heapBefore = process.memoryUsage().rss;
    await extractArchive(file, dest, () => undefined);
    delay.disable();
    expect(readdirSync(join(dest, 'predictions', '1'))).toEqual(['big.nii']);
    // The bound: a health request answers within 1 s during any import.
    expect(delay.max / 1e6).toBeLessThan(1000);
    expect(process.memoryUsage().rss - heapBefore).toBeLessThan(128 << 20);
  }, 60_000);

  it('names a device or a FIFO given as a bundle instead of reading it', async () => {
    await refused('/dev/zero', /\/dev\/zero: is a device, not a bundle/);
    const fifo = join(tempDir('fifo'), 'x.segnas');
    execFileSync('mkfifo', [fifo]);
    await refused(fifo, /x\.segnas: is a named pipe \(FIFO\), not a bundle/);
  });

  it('keeps zip-slip names out', async () => {
    await refused(
      write('slip.segnas', buildZip(bundleEntries([{ name: 'models/../../../x', data: Buffer.from('x') }]))),
      /entry "models\/..\/..\/..\/x" is not a path a SegNAS bundle contains/,
    );
  });
});

describe('model folders in bundles are closed', () => {
  for (const [label, paths] of [
    ['a relative escape', ['../../../../dev/zero']],
    ['an absolute path', ['/dev/zero']],
    ['another file', ['/etc/passwd']],
    ['a missing file', ['weights2.bin']],
  ] as const)
    it(`refuses a model whose weights name ${label}`, async () => {
      const file = write('model.segnas', buildZip(bundleEntries([], modelJson([...paths]))));
      await refused(file, /models\/1 is not a closed model folder .*(leaves the model folder|missing)/);
    });

  it('refuses weights whose size does not match the manifest', async () => {
    const entries = bundleEntries();
    entries[2] = { name: 'models/1/weights.bin', data: new Uint8Array(20), method: 0 };
    await refused(write('size.segnas', buildZip(entries)), /hold 20 bytes, the listed shapes need 16/);
  });
});

describe('atomic import', () => {
  it('a kill -9 mid-import leaves nothing listed, and the next start removes what it left', async () => {
    const ws = tempDir('ws');
    openStore(ws).close();
    // Big enough that the import is still unpacking when it is killed.
    const file = write(
      'slow.segnas',
      buildZip(
        bundleEntries([{ name: 'predictions/1/big.nii', data: new Uint8Array(512 << 20), method: 8 }]),
      ),
    );
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin', 'segnas.mjs'), 'import', file, '--workspace', ws],
      { cwd: ROOT, stdio: 'ignore' },
    );
    // Killed as soon as its staging folder has a file being unpacked.
    await new Promise<void>((done, fail) => {
      const timer = setInterval(() => {
        const staging = join(ws, '.imports');
        const busy =
          existsSync(staging) &&
          readdirSync(staging, { recursive: true, encoding: 'utf8' }).some((f) => f.endsWith('big.nii'));
        if (busy) {
          clearInterval(timer);
          child.kill('SIGKILL');
          done();
        }
      }, 20);
      child.on('exit', () => {
        clearInterval(timer);
        fail(new Error('the import ended before it could be killed'));
      });
    });
    await new Promise((r) => child.once('exit', r));
    const store = openStore(ws);
    try {
      expect(store.listExperiments()).toEqual([]);
      expect(readdirSync(join(ws, '.imports'))).toHaveLength(1);
      await removeAbandonedImports(store);
      expect(leftovers(ws)).toEqual([]);
    } finally {
      store.close();
    }
  }, 60_000);

  it('names a file that stands where the workspace keeps a folder, instead of a bare EEXIST', async () => {
    const ws = tempDir('ws');
    const store = openStore(ws);
    try {
      writeFileSync(join(ws, 'imported-datasets'), 'in the way');
      await expect(importBundle(store, write('ok.segnas', buildZip(bundleEntries())))).rejects.toThrow(
        /imported-datasets is a file, but the workspace keeps a folder there; move the file away/,
      );
      expect(store.listExperiments()).toEqual([]);
    } finally {
      store.close();
    }
  });

  it('removes an experiment folder moved into place whose rows never committed', async () => {
    const ws = tempDir('ws');
    const store = openStore(ws);
    try {
      const dataset = join(ws, 'imported-datasets', 'abc');
      mkdirSync(dataset, { recursive: true });
      const dir = join(ws, 'experiments', '1');
      mkdirSync(join(dir, 'models'), { recursive: true });
      // pid 2^22+1 is above Linux's pid_max: that owner is gone.
      const owner = { pid: 4194305, host: (await import('node:os')).hostname(), started: null };
      writeFileSync(join(dir, '.import-pending.json'), JSON.stringify({ owner, datasetDir: dataset }));
      await removeAbandonedImports(store);
      expect(leftovers(ws)).toEqual([]);
      // A folder no row owns does not block the next import (it is moved aside, not deleted).
      mkdirSync(join(ws, 'experiments', '1', 'stray'), { recursive: true });
      const s = await importBundle(store, write('ok.segnas', buildZip(bundleEntries())));
      expect(s.experimentId).toBe(1);
      expect(readdirSync(join(ws, 'experiments')).sort()).toEqual([
        '1',
        expect.stringMatching(/^1\.orphaned-\d+$/),
      ]);
    } finally {
      store.close();
    }
  });
});

describe('bundle manifests', () => {
  it('imports the most epochs a bundle may hold without holding the event loop, and refuses more', async () => {
    const base = manifest().candidates[0];
    const curve = (n: number) =>
      Array.from({ length: n }, (_, k) => ({ epoch: k + 1, loss: 1, valDice: 0.5, seconds: 1 }));
    // 50 candidates of 2,000 epochs: the limits (100,000 epochs in all, 2,000 per candidate).
    const most = Array.from({ length: 50 }, (_, k) => ({
      ...base,
      seq: k + 1,
      key: `k${k}`,
      curve: curve(2000),
    }));
    const entries = bundleEntries();
    entries[0] = { name: 'bundle.json', data: Buffer.from(JSON.stringify(manifest({ candidates: most }))) };
    const ws = tempDir('ws');
    const store = openStore(ws);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    try {
      delay.enable();
      await importBundle(store, write('most.segnas', buildZip(entries)));
      delay.disable();
      // The largest bundle's rows go in one transaction on the event loop: well under 1 s on an idle
      // machine, up to 1.4 s measured on 2 cores busy with other test files; 2.5 s fails a regression
      // to row-by-row writes (14 s) without failing on a busy machine.
      expect(delay.max / 1e6).toBeLessThan(2500);
      const over = [...most, { ...base, seq: 51, key: 'k51', curve: curve(1) }];
      entries[0] = { name: 'bundle.json', data: Buffer.from(JSON.stringify(manifest({ candidates: over }))) };
      await expect(importBundle(store, write('over.segnas', buildZip(entries)))).rejects.toThrow(
        /does not fit the bundle format at candidates: more than 100000 epochs in all/,
      );
      const long = [{ ...base, curve: curve(2001) }];
      entries[0] = { name: 'bundle.json', data: Buffer.from(JSON.stringify(manifest({ candidates: long }))) };
      await expect(importBundle(store, write('long.segnas', buildZip(entries)))).rejects.toThrow(
        /at candidates\.0\.curve: Too big/i,
      );
      expect(store.listExperiments()).toHaveLength(1);
    } finally {
      store.close();
    }
  }, 60_000);
});

describe('names from bundles', () => {
  it('stores and prints an imported name without terminal escapes, CR, BEL or direction overrides', async () => {
    const ws = tempDir('ws');
    const store = openStore(ws);
    try {
      const entries = bundleEntries();
      const evil = '\u001b[2J\rok\u0007 \u202egpj.exe';
      entries[0] = {
        name: 'bundle.json',
        data: Buffer.from(JSON.stringify(manifest({ experiment: { ...manifest().experiment, name: evil } }))),
      };
      const s = await importBundle(store, write('names.segnas', buildZip(entries)));
      const listed = formatList(store.listExperiments());
      expect(listed).toContain('\\u{1b}[2J\\u{d}ok\\u{7} \\u{202e}gpj.exe');
      const codes = [...listed].map((c) => c.codePointAt(0) as number);
      expect(codes.filter((c) => (c < 0x20 && c !== 0x0a) || c === 0x7f || c === 0x202e)).toEqual([]);
      expect(store.getExperiment(s.experimentId)?.name).not.toContain('\u001b');
    } finally {
      store.close();
    }
  });
});
