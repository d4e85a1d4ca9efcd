/**
 * Which input channel of a multi-channel image a viewer shows under its overlays (the Data page's
 * preview, a candidate's and the best-so-far segmentation, an applied model's result). Nothing for a
 * one-channel image.
 */
export function ChannelPicker(props: {
  /** The channels' names, by index (dataset.json's "modality" / "channel_names", else "channel k"). */
  names: string[];
  channel: number;
  onChange(channel: number): void;
  testId?: string;
}) {
  if (props.names.length <= 1) return null;
  return (
    <label className="channel-pick">
      Channel{' '}
      <select
        data-testid={props.testId ?? 'channel-pick'}
        value={Math.min(props.channel, props.names.length - 1)}
        onChange={(e) => props.onChange(Number(e.target.value))}
      >
        {props.names.map((name, k) => (
          <option key={name + String(k)} value={k}>
            {k}: {name}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Generic names for `count` channels when nothing names them (an applied model's inputs). */
export const channelNames = (count: number): string[] =>
  Array.from({ length: count }, (_, k) => `channel ${k}`);
