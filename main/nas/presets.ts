/**
 * The search variants of the paper's Table 2. The bounds are data in assets/presets/*.json; this
 * module only loads and validates them, so a broken preset file is reported by name.
 */
import segnas4 from '../../assets/presets/segnas4.json';
import segnas7 from '../../assets/presets/segnas7.json';
import segnas11 from '../../assets/presets/segnas11.json';
import {
  createSearchSpace,
  type SearchBounds,
  type SearchSpace,
  SearchSpaceError,
  validateSearchSpaceConfig,
} from './searchSpace';

export interface Preset {
  id: string;
  name: string;
  description: string;
  space: SearchBounds;
}

const FILES: Record<string, unknown> = { segnas11, segnas4, segnas7 };

function checkPreset(id: string, raw: unknown): Preset {
  const source = `assets/presets/${id}.json`;
  const p = raw as Partial<Preset>;
  if (typeof p?.id !== 'string' || typeof p.name !== 'string' || typeof p.description !== 'string')
    throw new Error(`${source}: a preset needs string fields "id", "name" and "description"`);
  const issues = validateSearchSpaceConfig(p.space);
  if (issues.length > 0)
    throw new SearchSpaceError(
      issues.map((i) => ({ ...i, field: `space.${i.field}` })),
      source,
    );
  return { id: p.id, name: p.name, description: p.description, space: p.space as SearchBounds };
}

export const PRESET_IDS = Object.keys(FILES);

/** Every preset, in Table 2 order. */
export function listPresets(): Preset[] {
  return PRESET_IDS.map((id) => checkPreset(id, FILES[id]));
}

export function getPreset(id: string): Preset {
  const key = id.toLowerCase();
  if (!(key in FILES)) throw new Error(`unknown search variant '${id}'; known: ${PRESET_IDS.join(', ')}`);
  // A deep copy, so a caller that edits bounds (the UI's custom variant) never alters the preset.
  return structuredClone(checkPreset(key, FILES[key]));
}

export function presetSpace(id: string): SearchSpace {
  return createSearchSpace(getPreset(id).space, { source: `assets/presets/${id.toLowerCase()}.json` });
}
