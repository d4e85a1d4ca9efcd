/** Reads the parts of an MSD / nnU-Net dataset.json the engine uses: name, label names, training list. */
import type { LabelDef } from './labels';

export interface DatasetJson {
  name?: string;
  labels: LabelDef[];
  /** Image/label paths listed under "training" (MSD), relative to the dataset folder. */
  training: { image: string; label: string }[];
  /** Input channel names by index: MSD's "modality" or nnU-Net v2's "channel_names"; absent when neither. */
  channelNames?: string[];
}

/**
 * Accepts both label conventions: MSD's {"0": "background", "1": "Anterior"} (value → name) and
 * nnU-Net v2's {"background": 0, "Anterior": 1} (name → value; region lists are not supported).
 * Throws with a message naming the field when the file is malformed.
 */
export function parseDatasetJson(text: string): DatasetJson {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`not valid JSON (${(e as Error).message})`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new Error('the top level must be a JSON object');
  const obj = raw as Record<string, unknown>;
  const labels: LabelDef[] = [];
  if (obj.labels !== undefined) {
    if (!obj.labels || typeof obj.labels !== 'object' || Array.isArray(obj.labels)) {
      throw new Error('"labels" must be an object mapping label values to names');
    }
    for (const [k, v] of Object.entries(obj.labels as Record<string, unknown>)) {
      if (typeof v === 'string' && /^-?\d+$/.test(k.trim())) labels.push({ value: Number(k), name: v });
      else if (typeof v === 'number' && Number.isInteger(v)) labels.push({ value: v, name: k });
      else throw new Error(`"labels" entry "${k}": expected "<value>": "<name>" or "<name>": <value>`);
    }
  }
  if (new Set(labels.map((l) => l.value)).size !== labels.length) {
    throw new Error('"labels" lists the same value twice');
  }
  const training: DatasetJson['training'] = [];
  if (Array.isArray(obj.training)) {
    for (const t of obj.training) {
      if (t && typeof t === 'object' && typeof t.image === 'string' && typeof t.label === 'string') {
        training.push({ image: t.image, label: t.label });
      }
    }
  }
  return {
    name: typeof obj.name === 'string' ? obj.name : undefined,
    channelNames: parseChannelNames(obj.channel_names ?? obj.modality),
    labels: labels.sort((a, b) => a.value - b.value),
    training,
  };
}

/** {"0": "FLAIR", "1": "T1w"} → ["FLAIR", "T1w"]; a malformed entry is named in the error. */
function parseChannelNames(raw: unknown): string[] | undefined {
  if (raw === undefined) return undefined;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new Error('"modality" / "channel_names" must be an object mapping channel indices to names');
  const names: string[] = [];
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!/^\d+$/.test(k.trim()) || typeof v !== 'string')
      throw new Error(`"modality" / "channel_names" entry "${k}": expected "<index>": "<name>"`);
    names[Number(k)] = v;
  }
  if (names.length === 0) return undefined;
  for (let i = 0; i < names.length; i++)
    if (names[i] === undefined) throw new Error(`"modality" / "channel_names" has no entry for channel ${i}`);
  return names;
}
