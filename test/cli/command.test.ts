// The contract every `segnas` command gets from defineCommand: exit 2 for a wrong invocation with a
// message naming the option and pointing at --help, 0 for --help, 1 with `segnas NAME: message` (no
// stack trace) when the work fails.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { asUsageError, defineCommand, experimentIdArg, intOption, UsageError } from '../../main/cli/command';
import { capture } from './helpers/capture';

afterEach(() => vi.restoreAllMocks());

/** A command whose action reports what it was given, or fails as told by --fail. */
const seen: unknown[] = [];
const paint = defineCommand({
  name: 'paint',
  usage: 'segnas paint <wall> [--coats N] [--fail usage|error|text]',
  description: 'Paints a wall.',
  options: {
    coats: { type: 'string', arg: 'N', help: 'coats of paint (default 2)' },
    fail: { type: 'string', arg: 'HOW', help: 'fail on purpose:\nusage, error or text' },
    glossy: { type: 'boolean', help: 'a glossy finish' },
  },
  positionals: true,
  workspace: true,
  async action({ values, positionals }) {
    const coats = intOption('coats', values.coats, 2);
    if (values.fail === 'usage') throw new UsageError('--fail usage: as asked');
    if (values.fail === 'error') throw new Error('the wall is wet');
    if (values.fail === 'text') throw 'not an Error';
    seen.push({ coats, glossy: values.glossy, workspace: values.workspace, positionals });
    return 0;
  },
});

describe('defineCommand', () => {
  it('parses the options, --workspace and positionals and returns the action’s status', async () => {
    seen.length = 0;
    const { code } = await capture(paint.run, ['north', '--coats', '3', '--glossy', '--workspace', '/w']);
    expect(code).toBe(0);
    expect(seen).toEqual([{ coats: 3, glossy: true, workspace: '/w', positionals: ['north'] }]);
  });

  it('prints the help built from the options with --help or -h, and exits 0 without acting', async () => {
    seen.length = 0;
    for (const flag of ['--help', '-h']) {
      const { code, out, err } = await capture(paint.run, [flag, '--fail', 'error']);
      expect(code).toBe(0);
      expect(err).toBe('');
      expect(out).toBe(
        [
          'usage: segnas paint <wall> [--coats N] [--fail usage|error|text]',
          '',
          'Paints a wall.',
          '',
          '  --coats N        coats of paint (default 2)',
          '  --fail HOW       fail on purpose:',
          '                   usage, error or text',
          '  --glossy         a glossy finish',
          "  --workspace DIR  where experiments are stored (default: $SEGNAS_WORKSPACE, else the user's data folder)",
          '  --help           this text',
        ].join('\n'),
      );
    }
    expect(seen).toEqual([]);
  });

  it('exits 2 for an unknown option or a missing value, naming it and pointing at --help', async () => {
    const unknown = await capture(paint.run, ['--colour', 'red']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/^segnas paint: .*'--colour'/);
    expect(unknown.err).toContain('segnas paint --help');
    const missing = await capture(paint.run, ['--coats']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^segnas paint: .*--coats/);
  });

  it('refuses positionals for a command that takes none', async () => {
    const bare = defineCommand({
      name: 'bare',
      usage: 'segnas bare',
      description: '',
      options: {},
      action: () => 0,
    });
    const { code, err } = await capture(bare.run, ['stray']);
    expect(code).toBe(2);
    expect(err).toMatch(/^segnas bare: .*'stray'/);
  });

  it('exits 2 for a UsageError thrown by the action, with the --help pointer', async () => {
    const bad = await capture(paint.run, ['--coats', '0']);
    expect(bad).toMatchObject({ code: 2, out: '' });
    expect(bad.err).toBe(
      'segnas paint: --coats must be an integer ≥ 1 (got 0)\n\nsegnas paint --help for the options',
    );
    expect((await capture(paint.run, ['--fail', 'usage'])).code).toBe(2);
  });

  it('exits 1 for any other failure with `segnas NAME: message` and no stack trace', async () => {
    const failed = await capture(paint.run, ['--fail', 'error']);
    expect(failed).toMatchObject({ code: 1, out: '', err: 'segnas paint: the wall is wet' });
    const odd = await capture(paint.run, ['--fail', 'text']);
    expect(odd).toMatchObject({ code: 1, out: '', err: 'segnas paint: not an Error' });
  });
});

describe('argument helpers', () => {
  it('turns whatever interpreting the arguments throws into a UsageError with the same message', () => {
    expect(() =>
      asUsageError(() => {
        throw new Error('bounds.json: n: lower bound 8 must be below upper bound 8');
      }),
    ).toThrow(new UsageError('bounds.json: n: lower bound 8 must be below upper bound 8'));
    expect(asUsageError(() => 4)).toBe(4);
  });

  it('reads an experiment id, or says one is needed', () => {
    expect(experimentIdArg(['12'])).toBe(12);
    for (const bad of [[], ['0'], ['x'], ['1.5']])
      expect(() => experimentIdArg(bad)).toThrow(/needs an experiment id/);
  });
});
