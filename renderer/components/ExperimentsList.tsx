/** Past searches from the workspace's store: reopen any, resume an interrupted or paused one. */
import { useEffect } from 'react';
import { useApp } from '../context';
import { formatDice } from '../lib/format';
import { ImportBundleForm } from './BundleImport';
import { ExportMenu } from './ExportMenu';

export function ExperimentsList() {
  const experiments = useApp((s) => s.experiments);
  const refresh = useApp((s) => s.refreshExperiments);
  const open = useApp((s) => s.openExperiment);
  const resume = useApp((s) => s.resume);
  const info = useApp((s) => s.info);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return (
    <section className="panel" data-testid="experiments-list">
      <div className="section-header">
        <h2>Experiments</h2>
        <span className="muted small mono">{info?.workspace}</span>
        <button type="button" onClick={() => refresh()}>
          Refresh
        </button>
      </div>
      <ImportBundleForm />
      {experiments.length === 0 ? (
        <div className="empty">No experiments in this workspace yet.</div>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>#</th>
                <th>Name</th>
                <th>Status</th>
                <th>Variant</th>
                <th>Evaluations</th>
                <th>Best Dice</th>
                <th>Backend</th>
                <th>Created</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {experiments.map((e) => (
                <tr key={e.id} data-testid="experiment-row">
                  <td>{e.id}</td>
                  <td>{e.name}</td>
                  <td>
                    <span className={`badge status-${e.status}`} title={e.statusReason ?? undefined}>
                      {e.status}
                    </span>
                  </td>
                  <td>{e.variant}</td>
                  <td>
                    {e.total - e.counts.running} / {e.evaluationsBudget}
                  </td>
                  <td className="mono">{formatDice(e.best?.valDice)}</td>
                  <td className="small">{e.device || e.backend}</td>
                  <td className="small">{new Date(e.createdAt).toLocaleString()}</td>
                  {/* The flex row sits inside the cell: a flex td drops out of the table's layout. */}
                  <td>
                    <div className="row nowrap">
                      <button type="button" onClick={() => open(e.id)}>
                        Open
                      </button>
                      <ExportMenu experimentId={e.id} />
                      {['interrupted', 'paused', 'stopped', 'failed'].includes(e.status) && (
                        <button type="button" className="primary" onClick={() => resume(e.id)}>
                          Resume
                        </button>
                      )}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
