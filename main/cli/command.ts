/**
 * What every `segnas` command shares, so that a command states only its options, help text and action:
 * strict parsing (with --help/-h and, on request, --workspace), the help page built from the options,
 * and one exit contract:
 *   0  done (or --help)
 *   1  the action failed: `segnas NAME: message` on stderr, never a stack trace
 *   2  the invocation is wrong (parseArgs, or a UsageError): the message names the option and points
 *      at `segnas NAME --help`
 * The action may return another status (e.g. 130 after Ctrl-C, 1 for a dataset with no usable case).
 */
import { parseArgs } from 'node:util';
import { errorMessage } from '../core/errorMessage';

/** What index.ts loads for each command. */
export interface CommandModule {
  /** Runs the command with the arguments after its name; resolves to the exit status. */
  run(argv: string[]): Promise<number>;
}

/** A wrong invocation (exit 2), as opposed to a failure of the work itself (exit 1). */
export class UsageError extends Error {}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** A string option that may be given several times (its value is then a list). */
  multiple?: boolean;
  /** The value's placeholder in the help, e.g. `DIR` in `--out DIR` (string options). */
  arg?: string;
  /** One help line; further lines (after \n) are indented under the first. */
  help: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

export type OptionValues<O extends OptionSpecs> = {
  [K in keyof O]?: O[K]['type'] extends 'boolean'
    ? boolean
    : O[K]['multiple'] extends true
      ? string[]
      : string;
};

/** The shared --workspace option's value is passed on as given; the store resolves the default. */
type WorkspaceValue<W> = W extends true ? { workspace?: string } : unknown;

export interface CommandArgs<O extends OptionSpecs, W extends boolean> {
  values: OptionValues<O> & WorkspaceValue<W>;
  positionals: string[];
}

export interface CommandSpec<O extends OptionSpecs, W extends boolean> {
  name: string;
  /** After "usage: ", e.g. `segnas show <id> [--json]`; continuation lines included. */
  usage: string;
  /** What the command does, in a paragraph or two. */
  description: string;
  options: O;
  /** Whether the command takes positional arguments (else one is a usage error). */
  positionals?: boolean;
  /** Adds the shared --workspace DIR option. */
  workspace?: W;
  action: (args: CommandArgs<O, W>) => Promise<number> | number;
}

const WORKSPACE_OPTION: OptionSpec = {
  type: 'string',
  arg: 'DIR',
  help: "where experiments are stored (default: $SEGNAS_WORKSPACE, else the user's data folder)",
};

const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', help: 'this text' };

export function defineCommand<const O extends OptionSpecs, const W extends boolean = false>(
  spec: CommandSpec<O, W>,
): CommandModule {
  const options: OptionSpecs = {
    ...spec.options,
    ...(spec.workspace && { workspace: WORKSPACE_OPTION }),
    help: HELP_OPTION,
  };
  const help = formatHelp(spec.usage, spec.description, options);
  const fail = (message: string, status: number) => {
    const pointer = status === 2 ? `\n\nsegnas ${spec.name} --help for the options` : '';
    console.error(`segnas ${spec.name}: ${message}${pointer}`);
    return status;
  };
  return {
    async run(argv) {
      let parsed: {
        values: Record<string, string | boolean | (string | boolean)[] | undefined>;
        positionals: string[];
      };
      try {
        parsed = parseArgs({
          args: argv,
          strict: true,
          allowPositionals: spec.positionals ?? false,
          options: Object.fromEntries(
            Object.entries(options).map(([name, o]) => [
              name,
              { type: o.type, ...(o.short && { short: o.short }), ...(o.multiple && { multiple: true }) },
            ]),
          ),
        });
      } catch (error) {
        return fail(errorMessage(error), 2);
      }
      if (parsed.values.help) {
        console.log(help);
        return 0;
      }
      try {
        return await spec.action(parsed as CommandArgs<O, W>);
      } catch (error) {
        return fail(errorMessage(error), error instanceof UsageError ? 2 : 1);
      }
    },
  };
}

/** Runs the interpretation of arguments (reading a bounds file, decoding a space): what it throws is a usage error. */
export function asUsageError<T>(interpret: () => T): T {
  try {
    return interpret();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(errorMessage(error));
  }
}

function formatHelp(usage: string, description: string, options: OptionSpecs): string {
  const flags = Object.entries(options).map(([name, o]) => `--${name}${o.arg ? ` ${o.arg}` : ''}`);
  const width = Math.max(...flags.map((f) => f.length)) + 2;
  const rows = Object.values(options).map((o, i) =>
    o.help
      .split('\n')
      .map((line, j) => `  ${(j === 0 ? flags[i] : '').padEnd(width)}${line}`)
      .join('\n'),
  );
  return `usage: ${usage}\n\n${description}\n\n${rows.join('\n')}`;
}

/** An integer option ≥ min; the fallback when absent. */
export function intOption(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer ≥ ${min} (got ${value})`);
  return n;
}

/** A positive number option; the fallback when absent. */
export function numberOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`--${name} must be a positive number (got ${value})`);
  return n;
}

/** The experiment id that `segnas show|resume|evaluate <id>` take as their first positional. */
export function experimentIdArg(positionals: string[]): number {
  const raw = positionals[0];
  const id = Number(raw);
  if (raw === undefined || !Number.isInteger(id) || id < 1)
    throw new UsageError('needs an experiment id (a positive integer; segnas list shows them)');
  return id;
}
