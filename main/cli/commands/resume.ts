/** `segnas resume <id>`: continues a paused, stopped or interrupted search exactly where it left off. */
import { defineCommand, experimentIdArg, numberOption } from '../command';
import { openRunner, runToEnd } from '../searchSession';

export const { run } = defineCommand({
  name: 'resume',
  usage: 'segnas resume <id> [--budget-hours H] [--workspace DIR]',
  description: `Continues experiment <id> (paused, stopped, failed, or interrupted by a crash). The stored evaluations
are replayed through the seeded optimizer, so the search goes on exactly as if it had never stopped;
a candidate that was training when it stopped is trained again, nothing finished is redone.`,
  options: {
    'budget-hours': {
      type: 'string',
      arg: 'H',
      help: 'wall-clock hours this run may take (default: the time budget the search was started with)',
    },
  },
  positionals: true,
  workspace: true,
  async action({ values, positionals }) {
    const id = experimentIdArg(positionals);
    const runner = openRunner(values.workspace);
    try {
      const hours = values['budget-hours'];
      await runner.resume(
        id,
        hours === undefined ? {} : { budgetHours: numberOption('budget-hours', hours, 0) },
      );
    } catch (e) {
      await runner.close();
      throw e;
    }
    return runToEnd(runner, id);
  },
});
