/**
 * What `segnas devices` and the UI's "Check" show: every engine and device found, why each unusable one
 * cannot be used with the one command that fixes it, and what `--engine auto` picks.
 */
import type { DeviceReport, EngineCheck } from './engineReports';
import { pytorchDeviceReports, resolveEngine } from './engines';
import { tfjsTrainerReport } from './trainerBackend';

/**
 * The TensorFlow.js half, as a trainer process reports it: this process never loads TensorFlow.js
 * (docs/architecture.md). SEGNAS_BACKEND of `env` applies, as it does for a search.
 */
async function tfjsReports(env: NodeJS.ProcessEnv): Promise<DeviceReport[]> {
  const report = await tfjsTrainerReport(
    env.SEGNAS_BACKEND !== undefined ? { SEGNAS_BACKEND: env.SEGNAS_BACKEND } : {},
  );
  const chosen = report.attempts.find((a) => a.ok)?.choice;
  return report.attempts
    .filter((a) => a.choice !== 'cpu' || a.ok)
    .map((a) => {
      const missing = /not installed \(([^)]+)\)/.exec(a.reason ?? '');
      return {
        engine: 'tfjs' as const,
        version: report.version,
        kind: a.choice,
        ...(a.choice === chosen ? { name: report.device } : {}),
        usable: a.ok,
        ...(a.ok
          ? {}
          : {
              problem: a.reason ?? 'not tried (an earlier backend won)',
              fix: missing
                ? `npm install ${missing[1]}${a.choice === 'tensorflow-gpu' ? ' (legacy: CUDA 11.2 only)' : ''}`
                : a.choice === 'webgpu'
                  ? 'install a Vulkan/Metal/D3D12 GPU driver'
                  : 'none needed: the engine uses the next backend',
            }),
      };
    });
}

/**
 * `python`: the interpreter to try first (`--python`, or the path the UI checks); `configuredPython`: the
 * workspace's setting, tried after $SEGNAS_PYTHON.
 */
export async function checkEngines(
  options: { python?: string; configuredPython?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<EngineCheck> {
  const env = options.env ?? process.env;
  const request = {
    ...(options.python ? { python: options.python } : {}),
    ...(options.configuredPython ? { configuredPython: options.configuredPython } : {}),
  };
  const [pytorch, tfjs, auto] = await Promise.all([
    pytorchDeviceReports(options.python, env, options.configuredPython),
    tfjsReports(env),
    resolveEngine({ engine: 'auto', ...request }, env),
  ]);
  return {
    devices: [...pytorch, ...tfjs],
    auto:
      auto.engine === 'pytorch'
        ? { engine: 'pytorch', device: auto.device, python: auto.python, why: auto.why }
        : { engine: 'tfjs', why: auto.why },
  };
}
