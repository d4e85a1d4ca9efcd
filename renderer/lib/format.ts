/** Display formatting shared by the components. */

export function formatDice(d: number | null | undefined): string {
  return d === null || d === undefined ? '—' : d.toFixed(3);
}

export { formatCount } from '../../main/core/format';

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds % 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

export { formatBytes } from '../../main/core/format';
