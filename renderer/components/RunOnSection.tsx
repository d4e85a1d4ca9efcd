/**
 * "Run on": this machine, or a Slurm cluster (one batch job per candidate, docs/cluster.md). The
 * cluster's settings go into the search configuration; "Test connection" runs sinfo and lists the
 * partitions and their GPUs. The environment-activation script and extra #SBATCH lines are set with
 * `segnas search` only (they run programs on the cluster).
 */
import { useState } from 'react';
import type { ClusterPartition, ClusterSettings } from '../../main/api';
import { useApp } from '../context';

const DEFAULT_CLUSTER: ClusterSettings = { executor: 'slurm', gres: 'gpu:1', time: '2:00:00', maxJobs: 4 };

function TextField(props: {
  label: string;
  value: string | undefined;
  testId: string;
  placeholder?: string;
  onChange(v: string | undefined): void;
}) {
  return (
    <label className="field">
      <span className="field-label">{props.label}</span>
      <input
        type="text"
        value={props.value ?? ''}
        placeholder={props.placeholder}
        data-testid={props.testId}
        onChange={(e) => props.onChange(e.target.value.trim() === '' ? undefined : e.target.value.trim())}
      />
    </label>
  );
}

/** The #SBATCH settings of each job, in the order they are asked. */
const JOB_FIELDS: {
  key: 'partition' | 'gres' | 'time' | 'mem' | 'account';
  label: string;
  placeholder?: string;
}[] = [
  { key: 'partition', label: 'Partition', placeholder: 'default' },
  { key: 'gres', label: 'GPUs per job (--gres)', placeholder: 'gpu:1' },
  { key: 'time', label: 'Time limit per job', placeholder: '2:00:00' },
  { key: 'mem', label: 'Memory per job', placeholder: '16G' },
  { key: 'account', label: 'Account' },
];

export function RunOnSection() {
  const testCluster = useApp((s) => s.testCluster);
  const cluster = useApp((s) => s.config.cluster);
  const update = useApp((s) => s.updateConfig);
  const issue = useApp((s) => s.validation?.issues.find((i) => i.field.startsWith('cluster')));
  const [test, setTest] = useState<
    | { state: 'idle' }
    | { state: 'busy' }
    | { state: 'ok'; partitions: ClusterPartition[] }
    | { state: 'error'; message: string }
  >({ state: 'idle' });
  const set = (patch: Partial<ClusterSettings>) =>
    update((c) => ({ ...c, cluster: { ...(c.cluster ?? DEFAULT_CLUSTER), ...patch } }));

  const testConnection = () => {
    setTest({ state: 'busy' });
    testCluster(cluster?.ssh)
      .then((partitions) => setTest({ state: 'ok', partitions }))
      .catch((e: Error) => setTest({ state: 'error', message: e.message }));
  };

  return (
    <div className="run-on" data-testid="run-on">
      <div className="card-title">Run on</div>
      <div className="segmented">
        <label>
          <input
            type="radio"
            name="run-on"
            checked={!cluster}
            data-testid="run-on-local"
            onChange={() => update(({ cluster: _, ...c }) => c)}
          />{' '}
          this machine
        </label>
        <label>
          <input
            type="radio"
            name="run-on"
            checked={!!cluster}
            data-testid="run-on-slurm"
            onChange={() => set({})}
          />{' '}
          Slurm cluster
        </label>
      </div>
      {cluster && (
        <>
          {JOB_FIELDS.map((f) => (
            <TextField
              key={f.key}
              label={f.label}
              value={cluster[f.key]}
              testId={`cluster-${f.key}`}
              placeholder={f.placeholder}
              onChange={(v) => set({ [f.key]: v })}
            />
          ))}
          <label className="field">
            <span className="field-label">Jobs at once</span>
            <input
              type="number"
              min={1}
              value={cluster.maxJobs}
              data-testid="cluster-max-jobs"
              onChange={(e) => set({ maxJobs: Number(e.target.value) })}
            />
          </label>
          <TextField
            label="Login node (ssh)"
            value={cluster.ssh}
            testId="cluster-ssh"
            placeholder="this machine submits"
            onChange={(ssh) => set({ ssh })}
          />
          {issue && <div className="field-error block">{issue.message}</div>}
          <button
            type="button"
            data-testid="cluster-test"
            disabled={test.state === 'busy'}
            onClick={testConnection}
          >
            {test.state === 'busy' ? 'Testing…' : 'Test connection'}
          </button>
          {test.state === 'error' && (
            <div className="field-error block" data-testid="cluster-test-error">
              {test.message}
            </div>
          )}
          {test.state === 'ok' && (
            <table className="small" data-testid="cluster-partitions">
              <thead>
                <tr>
                  <th>Partition</th>
                  <th>State</th>
                  <th>Nodes</th>
                  <th>GPUs</th>
                  <th>Time limit</th>
                </tr>
              </thead>
              <tbody>
                {test.partitions.map((p) => (
                  <tr key={p.name}>
                    <td>
                      {p.name}
                      {p.isDefault ? ' (default)' : ''}
                    </td>
                    <td>{p.state}</td>
                    <td>{p.nodes}</td>
                    <td>{p.gres ?? '—'}</td>
                    <td>{p.timeLimit}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </div>
  );
}
