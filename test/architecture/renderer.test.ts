/**
 * The renderer's rules (test/architecture/rendererRules.ts): views get their data through the store,
 * never from the API themselves, and no function in renderer/ is over 150 lines.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  directApiCalls,
  longFunctions,
  MAX_FUNCTION_LINES,
  readSource,
  rendererFiles,
} from './rendererRules';

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

  it(`has no function over ${MAX_FUNCTION_LINES} lines`, () => {
    expect(files.flatMap((f) => longFunctions(f, readSource(REPO, f)))).toEqual([]);
  });

  it('measures functions, arrows and methods, nested ones included', () => {
    const body = (n: number) => Array.from({ length: n }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const source = `export function Big() {\n${body(150)}\n}\nconst small = () => {\n${body(3)}\n};\nconst o = { m() {\n  const inner = () => {\n${body(160)}\n  };\n} };\n`;
    expect(longFunctions('renderer/x.tsx', source)).toEqual([
      'renderer/x.tsx:1 Big (152 lines)',
      'renderer/x.tsx:158 m (164 lines)',
      'renderer/x.tsx:159 inner (162 lines)',
    ]);
  });
});
