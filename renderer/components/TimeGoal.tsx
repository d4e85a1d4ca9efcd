/**
 * "How long may this search take?": a time goal, the settings this machine can afford in it (proposed by
 * the engine from its measured speed), one click to use them, and one click back to the paper's
 * protocol.
 */
import { useEffect, useState } from 'react';
import type { SettingsProposal } from '../../main/api';
import { withPaperSettings } from '../../main/core/demoSettings';
import { DEFAULT_TIME_GOAL_SECONDS, formatGoal, parseDuration, withProposal } from '../../main/core/timeGoal';
import { useApi, useApp } from '../context';
import { formatDuration } from '../lib/format';

function proposalSummary(p: SettingsProposal): string {
  const prune = p.prune.rule === 'asha' ? ' · ASHA pruning' : '';
  return `${p.size}³ · ${p.epochs} epochs · ${p.evaluations} evaluation${p.evaluations === 1 ? '' : 's'}${prune}`;
}

export function TimeGoal() {
  const api = useApi();
  const config = useApp((s) => s.config);
  const update = useApp((s) => s.updateConfig);
  const [goalText, setGoalText] = useState(formatGoal(DEFAULT_TIME_GOAL_SECONDS));
  const [proposal, setProposal] = useState<SettingsProposal>();
  const [error, setError] = useState<string>();
  const [pending, setPending] = useState(false);
  const goal = parseDuration(goalText);
  // The proposal depends on the goal, the data, the space, the batch and the engine, not on the fields it sets.
  const basis = JSON.stringify([
    goal,
    config.datasetPath,
    config.space,
    config.training.batch,
    config.training.learningRate,
    config.backend,
    config.engine,
    config.memoryBudgetMB,
    config.cluster,
  ]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `basis` stands for the config fields read here.
  useEffect(() => {
    if (goal === undefined || goal < 60) return;
    let current = true;
    const timer = setTimeout(() => {
      setPending(true);
      api.proposeSettings({ config, goalSeconds: Math.min(goal, 30 * 86_400) }).then(
        (p) => {
          if (!current) return;
          setProposal(p);
          setError(undefined);
          setPending(false);
        },
        (e: Error) => {
          if (!current) return;
          setError(e.message);
          setPending(false);
        },
      );
    }, 300);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [basis, api]);

  const goalInvalid = goal === undefined || goal < 60 || goal > 30 * 86_400;
  const inUse =
    proposal &&
    config.training.size === proposal.size &&
    config.training.epochs === proposal.epochs &&
    config.evaluations === proposal.evaluations &&
    config.prune?.rule === proposal.prune.rule;
  return (
    <div className="card time-goal" data-testid="time-goal">
      <div className="time-goal-row">
        <label className={`field ${goalInvalid ? 'invalid' : ''}`}>
          <span className="field-label">How long may this search take?</span>
          <input
            type="text"
            value={goalText}
            data-testid="time-goal-input"
            onChange={(e) => setGoalText(e.target.value)}
          />
          {goalInvalid ? (
            <span className="field-error">a duration from 1m to 30d, e.g. 1h, 90m, 1h30m, 2d</span>
          ) : (
            <span className="field-hint">e.g. 1h, 90m, 2d; the search stops then and can be resumed</span>
          )}
        </label>
        <div className="time-goal-proposal" data-testid="time-goal-proposal" data-pending={pending}>
          {error ? (
            <span className="field-error">Cannot propose settings: {error}</span>
          ) : proposal ? (
            <>
              <div>
                <b>{proposal.refusal ? 'Nothing can train' : `Fits ${formatGoal(proposal.goalSeconds)}`}:</b>{' '}
                {proposal.refusal ? proposal.refusal : proposalSummary(proposal)}
                {!proposal.refusal && <> ≈ {formatDuration(proposal.totalSeconds)}</>}
              </div>
              <ul className="small muted" data-testid="time-goal-reasons">
                {proposal.reasons.map((r) => (
                  <li key={r}>{r}</li>
                ))}
              </ul>
            </>
          ) : (
            <span className="muted">Measuring this machine's training speed (a few seconds, once)…</span>
          )}
        </div>
        <div className="time-goal-actions">
          <button
            type="button"
            className="primary"
            data-testid="use-proposal"
            disabled={!proposal || !!proposal.refusal || pending || inUse}
            onClick={() => proposal && update((c) => withProposal(c, proposal))}
          >
            {inUse ? 'Proposed settings in use' : 'Use these settings'}
          </button>
          <button
            type="button"
            data-testid="paper-settings"
            title="128³, batch 3, 100 epochs, 300 evaluations, no pruning, no time limit (SegNAS3D)"
            onClick={() => update((c) => withPaperSettings(c))}
          >
            Paper settings
          </button>
        </div>
      </div>
    </div>
  );
}
