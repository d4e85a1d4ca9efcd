/** The UI store driven against the real engine (no transport): what the screens show after each action. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SEARCH } from '../../main/api';
import type { Engine } from '../../main/engine';
import { createEngine } from '../../main/engineServices';
import { type AppStore, createAppStore } from '../../renderer/store/appStore';

let workspace: string;
let engine: Engine;
let store: AppStore;

beforeAll(async () => {
  workspace = mkdtempSync(join(tmpdir(), 'segnas-store-'));
  engine = await createEngine({ workspace, host: 'web' });
  store = createAppStore(engine);
  await store.getState().init();
});

afterAll(async () => {
  await engine?.close();
  rmSync(workspace, { recursive: true, force: true });
});

describe('app store', () => {
  it('loads the backend and the three paper presets on start', () => {
    const s = store.getState();
    expect(s.info?.backend.name).toMatch(/wasm|cpu|webgpu|tensorflow/);
    expect(s.presets.map((p) => p.id)).toEqual(['segnas11', 'segnas4', 'segnas7']);
    expect(s.notices).toEqual([]);
  });

  it('opens the demo data, points the configuration at it and validates it', async () => {
    await store.getState().loadDemoData();
    const s = store.getState();
    expect(s.dataset?.usable).toBe(true);
    expect(s.config.datasetPath).toBe(s.dataset?.root);
    // The demo search `segnas demo` runs too: small networks, many short epochs (docs/search.md).
    expect(s.config).toMatchObject({
      evaluations: DEMO_SEARCH.evaluations,
      training: DEMO_SEARCH.training,
      space: DEMO_SEARCH.space,
    });
    const validation = await s.validate();
    expect(validation?.ok).toBe(true);
    expect(validation?.estimate?.secondsPerCandidate).toBeGreaterThan(0);
  });

  it('explains an invalid setting by field, and a preset restores valid bounds', async () => {
    store.getState().updateConfig((c) => ({ ...c, space: { ...c.space, n: { lo: 20, hi: 10 } } }));
    const bad = await store.getState().validate();
    expect(bad?.ok).toBe(false);
    expect(bad?.issues.find((i) => i.field === 'space.n')?.message).toMatch(/lower bound 20 must be below/);
    store.getState().applyPreset('segnas7');
    const good = await store.getState().validate();
    expect(good?.ok).toBe(true);
    expect(store.getState().config.variant).toBe('segnas7');
    expect(store.getState().config.space.n).toEqual({ fixed: 16 });
  });

  it('explains an emptied number field inline instead of failing the request', async () => {
    const before = store.getState().notices.length;
    store.getState().updateConfig((c) => ({ ...c, training: { ...c.training, epochs: Number.NaN } }));
    const v = await store.getState().validate();
    expect(v?.ok).toBe(false);
    expect(v?.issues).toEqual([{ field: 'training.epochs', message: 'enter a number' }]);
    expect(store.getState().notices).toHaveLength(before);
    store.getState().updateConfig((c) => ({ ...c, training: { ...c.training, epochs: 2 } }));
    expect((await store.getState().validate())?.ok).toBe(true);
  });

  it('turns a failed action into a readable notice instead of an exception', async () => {
    await store.getState().openDataset(join(workspace, 'does-not-exist'));
    const notices = store.getState().notices;
    expect(notices.at(-1)?.kind).toBe('error');
    expect(notices.at(-1)?.message).toContain('does-not-exist');
    // The path is named once, not repeated by each layer that passed the error on.
    expect(notices.at(-1)?.message.split('does-not-exist')).toHaveLength(2);
    store.getState().dismiss(notices.at(-1)!.id);
    expect(store.getState().notices).toHaveLength(notices.length - 1);
  });

  it('reopening an unknown experiment reports it', async () => {
    await store.getState().openExperiment(999);
    expect(store.getState().notices.at(-1)?.message).toMatch(/no experiment 999/);
  });
});
