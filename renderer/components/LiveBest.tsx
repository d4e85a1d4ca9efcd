/**
 * While a search runs: the best candidate so far segmenting a validation case the user picks. When a
 * better candidate is found the prediction is replaced by the new best's (the viewer reloads when
 * the referenced volumes change).
 */
import { useMemo, useState } from 'react';
import type { CandidateSummary, LabelInfo } from '../../main/api';
import { formatDice } from '../lib/format';
import { ChannelPicker } from './ChannelPicker';
import { Viewer, type ViewerLayer } from './Viewer';

export function LiveBest(props: {
  best: CandidateSummary;
  datasetPath: string;
  labels: LabelInfo[];
  /** The dataset's input channel names: a picker chooses the one shown when there are several. */
  channelNames: string[];
  validationCases: string[];
}) {
  const [caseId, setCaseId] = useState(props.validationCases[0]);
  const [channel, setChannel] = useState(0);
  const shown = props.validationCases.includes(caseId ?? '') ? caseId : props.validationCases[0];
  const { best } = props;
  const layers = useMemo<ViewerLayer[]>(() => {
    if (!shown) return [];
    const base = { datasetPath: props.datasetPath, caseId: shown };
    return [
      { id: 'image', title: 'Image', ref: { kind: 'case-image', ...base, ...(channel > 0 && { channel }) } },
      { id: 'truth', title: 'Ground truth', ref: { kind: 'case-label', ...base } },
      {
        id: 'prediction',
        title: `Best so far (#${best.seq})`,
        ref: { kind: 'prediction', experimentId: best.experimentId, seq: best.seq, caseId: shown },
      },
    ];
  }, [props.datasetPath, shown, best.experimentId, best.seq, channel]);
  if (!shown) return null;
  return (
    <div className="card live-best" data-testid="live-best" data-seq={best.seq}>
      <div className="card-title">
        Best so far: candidate #{best.seq}, validation Dice {formatDice(best.valDice)}, on
        <select value={shown} onChange={(e) => setCaseId(e.target.value)} data-testid="live-best-case">
          {props.validationCases.map((id) => (
            <option key={id} value={id}>
              {id}
            </option>
          ))}
        </select>
        <span className="muted small">(updates when a better candidate is found)</span>
        <ChannelPicker
          names={props.channelNames}
          channel={channel}
          onChange={setChannel}
          testId="live-best-channel"
        />
      </div>
      <Viewer layers={layers} labels={props.labels} testId="live-best-viewer" />
    </div>
  );
}
