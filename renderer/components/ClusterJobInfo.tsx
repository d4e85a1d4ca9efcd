/** A candidate's Slurm job in its details: id, state, node and submissions; nothing for local candidates. */
import { useEffect, useState } from 'react';
import type { CandidateJob } from '../../main/api';
import { useApp } from '../context';

/** "running on node07", "pending", "requeued": Slurm's state in the words of the search view. */
export function describeJobState(job: CandidateJob): string {
  const state = job.state.toLowerCase().replace(/_/g, ' ');
  if (job.state === 'RUNNING' || job.state === 'COMPLETING') return `running on ${job.node ?? '?'}`;
  if (job.state === 'PENDING' && job.attempts > 1) return `requeued, pending (submission ${job.attempts})`;
  if (job.state === 'STOPPED') return 'cancelled by stop; submitted again on resume';
  return job.node && job.state !== 'PENDING' ? `${state} on ${job.node}` : state;
}

export function ClusterJobInfo(props: { experimentId: number; seq: number; status: string }) {
  const readCandidateJob = useApp((s) => s.readCandidateJob);
  const [job, setJob] = useState<CandidateJob | null>(null);
  const { experimentId, seq, status } = props;
  useEffect(() => {
    let current = true;
    const load = () =>
      readCandidateJob(experimentId, seq)
        .then((j) => current && setJob(j))
        .catch(() => current && setJob(null));
    void load();
    // A queued or running job changes state without a search event: follow it while the candidate runs.
    const timer = status === 'running' ? setInterval(load, 5000) : undefined;
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [readCandidateJob, experimentId, seq, status]);
  if (!job) return null;
  return (
    <dl className="summary" data-testid="cluster-job">
      <div>
        <dt>Slurm job</dt>
        <dd className="mono">{job.jobId ?? 'submitting'}</dd>
      </div>
      <div>
        <dt>Job state</dt>
        <dd className="mono">{describeJobState(job)}</dd>
      </div>
      {job.attempts > 1 && (
        <div>
          <dt>Submissions</dt>
          <dd className="mono">{job.attempts}</dd>
        </div>
      )}
    </dl>
  );
}
