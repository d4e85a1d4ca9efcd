/**
 * The renderer's data rule (test/architecture/rendererRules.ts): views get their data through the
 * store, never from the API themselves. (No function over 150 lines: functionLength.test.ts.)
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { directApiCalls, readSource, rendererFiles } from './rendererRules';

const REPO = resolve(import.meta.dirname, '../..');
const files = rendererFiles(REPO);

describe('the renderer', () => {
  it('calls the app service only from its store: no component or hook reaches the API', () => {
    expect(files.length).toBeGreaterThan(30);
    expect(files.flatMap((f) => directApiCalls(f, readSource(REPO, f)))).toEqual([]);
  });

  it('names a component that calls the API, imports a bridge or asks for the client', () => {
    const view = 'renderer/components/Some.tsx';
    expect(directApiCalls(view, 'api.getCandidate({ experimentId, seq })')).toEqual([
      `${view}: calls getCandidate() directly`,
    ]);
    expect(directApiCalls(view, "import { connectApi } from '../api/client';")).toHaveLength(1);
    expect(directApiCalls(view, 'const api = useApi();')).toHaveLength(1);
    // The store is where those calls belong.
    expect(directApiCalls('renderer/store/x.ts', 'api.getCandidate({ experimentId, seq })')).toEqual([]);
  });
});
