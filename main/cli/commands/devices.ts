/** `segnas devices`: every training engine and device this machine offers, and what blocks the others. */
import { checkEngines } from '../../compute/engineCheck';
import type { DeviceReport } from '../../compute/engineReports';
import { formatBytes } from '../../core/format';
import { resolveWorkspaceDir } from '../../store/workspace';
import { readWorkspaceSettings } from '../../store/workspaceSettings';
import { defineCommand } from '../command';

export function formatReports(reports: readonly DeviceReport[], auto: string): string {
  const lines = reports.map((r) => {
    const what = [r.engine, r.kind, r.name ?? ''].filter(Boolean).join('  ');
    const mem =
      r.totalBytes != null ? `  ${formatBytes(r.freeBytes)} free of ${formatBytes(r.totalBytes)}` : '';
    const cc = r.computeCapability ? `  sm ${r.computeCapability}` : '';
    const head = `${r.usable ? 'ok ' : '-- '} ${what}${mem}${cc}${r.version ? `  (${r.version})` : ''}`;
    return r.usable ? head : `${head}\n      ${r.problem}\n      fix: ${r.fix}`;
  });
  return [...lines, '', `--engine auto picks: ${auto}`].join('\n');
}

export const { run } = defineCommand({
  name: 'devices',
  usage: 'segnas devices [--json] [--python PATH] [--workspace DIR]',
  description: `Lists the training engines and their devices: PyTorch (the first of --python, $SEGNAS_PYTHON,
the workspace's interpreter setting, python3, python, /usr/bin/python3 that imports torch) and
TensorFlow.js (embedded). For each device
that cannot be used it says why and the one command that fixes it, and which engine
\`segnas search --engine auto\` would pick.`,
  options: {
    json: { type: 'boolean', help: 'one JSON object (for scripts)' },
    python: { type: 'string', arg: 'PATH', help: 'the Python interpreter to try first' },
  },
  workspace: true,
  async action({ values }) {
    const { settings, problem } = readWorkspaceSettings(resolveWorkspaceDir(values.workspace));
    if (problem) console.error(`segnas devices: ${problem}`);
    const { devices, auto } = await checkEngines({
      ...(values.python ? { python: values.python } : {}),
      ...(settings.python ? { configuredPython: settings.python } : {}),
    });
    const autoText =
      auto.engine === 'pytorch' ? `pytorch on ${auto.device} (${auto.why})` : `tfjs (${auto.why})`;
    if (values.json)
      console.log(
        JSON.stringify(
          {
            devices,
            auto:
              auto.engine === 'pytorch' ? { engine: auto.engine, device: auto.device } : { engine: 'tfjs' },
          },
          null,
          1,
        ),
      );
    else console.log(formatReports(devices, autoText));
    return 0;
  },
});
