/**
 * The setup page's training engine: engine (TensorFlow.js / auto / PyTorch), PyTorch's device, precision
 * and candidates per GPU (the search config's `engine`), and the workspace's Python interpreter with a
 * Check that shows what `segnas devices` would: every engine and device, and for each unusable one why
 * and the command that fixes it.
 */
import { useEffect, useState } from 'react';
import {
  ApiError,
  type EngineCheck,
  type EngineRequest,
  type EngineSettings as EngineSettingsView,
  TORCH_DEVICES,
} from '../../main/api';
import { useApp } from '../context';
import { describeAuto } from '../lib/engineCheck';
import { formatBytes } from '../lib/format';

const ENGINE_TITLES = {
  tfjs: 'TensorFlow.js (embedded, CPU)',
  auto: 'auto (PyTorch when it sees a GPU, else TensorFlow.js)',
  pytorch: 'PyTorch (your Python with torch)',
} as const;
type EngineChoice = keyof typeof ENGINE_TITLES;
const PRECISIONS = ['fp32', 'bf16', 'fp16'] as const;

function CheckResult({ check }: { check: EngineCheck }) {
  return (
    <div data-testid="engine-check">
      <ul className="small">
        {check.devices.map((d) => (
          <li
            key={`${d.engine}-${d.kind}-${d.name ?? ''}`}
            data-testid={`engine-device-${d.engine}-${d.kind}`}
          >
            <b>{d.usable ? 'ok' : '—'}</b> {d.engine} · {d.kind}
            {d.name ? ` · ${d.name}` : ''}
            {d.totalBytes != null
              ? ` · ${formatBytes(d.freeBytes)} free of ${formatBytes(d.totalBytes)}`
              : ''}
            {d.version ? <span className="muted"> ({d.version})</span> : null}
            {!d.usable && (
              <div className="muted">
                {d.problem}
                <br />
                fix: <code>{d.fix}</code>
              </div>
            )}
          </li>
        ))}
      </ul>
      <div className="small" data-testid="engine-auto">
        auto picks: <b>{describeAuto(check)}</b> <span className="muted">({check.auto.why})</span>
      </div>
    </div>
  );
}

/** PyTorch's device, precision and candidates per GPU. */
function TorchFields({
  engine,
  setEngine,
}: {
  engine: EngineRequest | undefined;
  setEngine: (patch: Partial<EngineRequest> | null) => void;
}) {
  return (
    <>
      <label className="field">
        <span className="field-label">PyTorch device</span>
        <select
          value={engine?.device ?? ''}
          data-testid="field-engine-device"
          onChange={(e) => setEngine({ device: (e.target.value || undefined) as EngineRequest['device'] })}
        >
          <option value="">best torch sees (cuda, mps, cpu)</option>
          {TORCH_DEVICES.map((d) => (
            <option key={d} value={d}>
              {d}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span className="field-label">Precision</span>
        <select
          value={engine?.precision ?? ''}
          data-testid="field-engine-precision"
          onChange={(e) =>
            setEngine({ precision: (e.target.value || undefined) as EngineRequest['precision'] })
          }
        >
          <option value="">engine default (bf16 or fp16 on a GPU, fp32 on the CPU)</option>
          {PRECISIONS.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span className="field-label">Candidates per GPU</span>
        <input
          type="number"
          min={1}
          max={64}
          value={engine?.perGpu ?? 1}
          data-testid="field-engine-perGpu"
          onChange={(e) => {
            const n = Number(e.target.value);
            setEngine({ perGpu: Number.isInteger(n) && n > 1 ? Math.min(64, n) : undefined });
          }}
        />
        <span className="field-hint">several at once only while their memory estimates fit the GPU</span>
      </label>
    </>
  );
}

export function EngineSettings() {
  const readEngineSettings = useApp((s) => s.readEngineSettings);
  const checkEngines = useApp((s) => s.checkEngines);
  const savePython = useApp((s) => s.savePython);
  const config = useApp((s) => s.config);
  const update = useApp((s) => s.updateConfig);
  const engine = config.engine;
  const choice: EngineChoice = engine?.engine ?? 'tfjs';
  const [settings, setSettings] = useState<EngineSettingsView>();
  const [python, setPython] = useState('');
  const [check, setCheck] = useState<EngineCheck>();
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    readEngineSettings().then(
      (s) => {
        setSettings(s);
        setPython(s.python ?? '');
      },
      (e: Error) => setProblem(e.message),
    );
  }, [readEngineSettings]);

  const setEngine = (patch: Partial<EngineRequest> | null) =>
    update(({ engine: old, ...c }) => {
      if (patch === null) return c;
      const next = { engine: old?.engine ?? 'auto', ...old, ...patch } as EngineRequest;
      // undefined fields would not survive the contract's strict schema as "absent"
      for (const k of Object.keys(next) as (keyof EngineRequest)[]) if (next[k] === undefined) delete next[k];
      return { ...c, engine: next };
    });

  const run = async (what: () => Promise<void>) => {
    setBusy(true);
    setProblem(undefined);
    try {
      await what();
    } catch (e) {
      setProblem(e instanceof ApiError || e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const onCheck = () =>
    run(async () => {
      setCheck(await checkEngines(python.trim() || undefined));
    });
  const onSave = () =>
    run(async () => {
      setSettings(await savePython(python.trim() || null));
    });

  const torch = choice !== 'tfjs';
  return (
    <div data-testid="engine-settings">
      <label className="field">
        <span className="field-label">Training engine</span>
        <select
          value={choice}
          data-testid="field-engine"
          onChange={(e) =>
            setEngine(
              e.target.value === 'tfjs' ? null : { engine: e.target.value as Exclude<EngineChoice, 'tfjs'> },
            )
          }
        >
          {(Object.keys(ENGINE_TITLES) as EngineChoice[]).map((k) => (
            <option key={k} value={k}>
              {ENGINE_TITLES[k]}
            </option>
          ))}
        </select>
      </label>
      {torch && <TorchFields engine={engine} setEngine={setEngine} />}
      <label className="field">
        <span className="field-label">Python interpreter (PyTorch)</span>
        <input
          type="text"
          value={python}
          placeholder={settings?.processPython ?? 'python3 (searched: python3, python, /usr/bin/python3)'}
          disabled={settings !== undefined && !settings.canSetPython}
          data-testid="field-python"
          onChange={(e) => setPython(e.target.value)}
        />
        <span className="field-hint">
          {settings && !settings.canSetPython
            ? settings.lockedReason
            : settings?.processPython
              ? `$SEGNAS_PYTHON of the engine (${settings.processPython}) is tried first`
              : 'an absolute path, e.g. /usr/bin/python3 or a virtual environment’s bin/python'}
        </span>
      </label>
      <div className="row">
        <button type="button" disabled={busy} data-testid="engine-check-button" onClick={onCheck}>
          {busy ? 'Checking…' : 'Check'}
        </button>
        {settings?.canSetPython && (
          <button
            type="button"
            disabled={busy || python.trim() === (settings.python ?? '')}
            data-testid="engine-python-save"
            onClick={onSave}
          >
            Save interpreter
          </button>
        )}
      </div>
      {problem && (
        <div className="field-error block" data-testid="engine-problem">
          {problem}
        </div>
      )}
      {settings?.problem && <div className="field-error block">{settings.problem}</div>}
      {check && <CheckResult check={check} />}
    </div>
  );
}
