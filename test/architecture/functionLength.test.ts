import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { functionSpans, longFunctions } from './functionLength';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Longer than this, a function is split into named parts (docs/architecture.md). */
const LIMIT = 150;

describe('function length', () => {
  it(`no function in main/ is over ${LIMIT} lines`, () => {
    const long = longFunctions(ROOT, 'main', LIMIT).map(
      (f) => `${f.file}:${f.line} ${f.name} (${f.lines} lines)`,
    );
    expect(long).toEqual([]);
  });

  it('counts a closure with its nested functions, and names arrows by their variable', () => {
    const source = [
      'export function outer() {',
      '  const inner = () => {',
      '    return 1;',
      '  };',
      '  return inner;',
      '}',
    ].join('\n');
    expect(functionSpans('x.ts', source).map((s) => [s.name, s.line, s.lines])).toEqual([
      ['outer', 1, 6],
      ['inner', 2, 3],
    ]);
  });
});
