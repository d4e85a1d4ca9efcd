/** The segmented images: volumes per structure, and the chosen one's segmentation on its image. */
import { useMemo, useState } from 'react';
import type { ApplyStatus, LabelInfo } from '../../../main/api';
import { useApp } from '../../context';
import { ChannelPicker, channelNames } from '../ChannelPicker';
import { Viewer, type ViewerLayer } from '../Viewer';

function ResultsTable({ status, shown }: { status: ApplyStatus; shown?: string }) {
  const show = useApp((s) => s.showApplyItem);
  const names = status.items[0]?.structures.map((s) => s.name) ?? [];
  return (
    <div className="table-wrap">
      <table data-testid="apply-results">
        <thead>
          <tr>
            <th>Image</th>
            <th>Series</th>
            <th>Size</th>
            {names.map((n) => (
              <th key={n}>{n} (mL)</th>
            ))}
            <th>Seconds</th>
          </tr>
        </thead>
        <tbody>
          {status.items.map((i) => (
            <tr
              key={i.id}
              className={i.id === shown ? 'selected' : ''}
              onClick={() => show(i.id)}
              data-testid="apply-row"
            >
              <td className="mono">
                {i.id}
                {i.warnings?.length ? (
                  <span className="bad-text" title={i.warnings.join('\n')}>
                    {' '}
                    ⚠
                  </span>
                ) : null}
              </td>
              <td>{i.series ? `${i.series.number ?? '?'} ${i.series.description}` : ''}</td>
              <td>{i.dims.join('×')}</td>
              {i.structures.map((s) => (
                <td key={s.name} className="mono">
                  {s.ml.toFixed(2)}
                </td>
              ))}
              <td className="mono">{i.seconds.toFixed(2)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ApplyResults({
  runId,
  status,
  shown,
}: {
  runId: number;
  status: ApplyStatus;
  shown?: string;
}) {
  const item = status.items.find((i) => i.id === shown);
  // Which input channel of a multi-channel image the viewer shows under the segmentation.
  const [channel, setChannel] = useState(0);
  const channels = item?.channels ?? 1;
  const shownChannel = channel < channels ? channel : 0;
  // The channels' names are the training dataset's when that dataset is the one open on the Data page.
  const dataset = useApp((s) => s.dataset);
  const trainedOn = useApp((s) => s.applyModels?.datasetPath);
  const names =
    dataset && dataset.root === trainedOn && dataset.channels.count === channels
      ? dataset.channels.names
      : channelNames(channels);
  const labels = useMemo<LabelInfo[]>(
    () =>
      item
        ? [
            { value: 0, name: 'background' },
            ...item.structures.map((s) => ({ value: s.value, name: s.name })),
          ]
        : [],
    [item],
  );
  const layers = useMemo<ViewerLayer[]>(
    () =>
      shown
        ? [
            {
              id: 'image',
              title: 'Image',
              ref: {
                kind: 'apply-image',
                runId,
                id: shown,
                ...(shownChannel > 0 && { channel: shownChannel }),
              },
            },
            { id: 'prediction', title: 'Segmentation', ref: { kind: 'apply-result', runId, id: shown } },
          ]
        : [],
    [runId, shown, shownChannel],
  );
  if (status.items.length === 0) return null;
  return (
    <>
      <ResultsTable status={status} shown={shown} />
      {item && layers.length > 0 && (
        <>
          <ChannelPicker names={names} channel={shownChannel} onChange={setChannel} testId="apply-channel" />
          <Viewer key={`${runId}-${shown}`} layers={layers} labels={labels} testId="apply-viewer" />
        </>
      )}
    </>
  );
}
