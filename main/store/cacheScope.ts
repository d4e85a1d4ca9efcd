/**
 * Names of objective-cache scopes. A floor(x) key means the same trained network only under the same
 * data and training protocol, so the scope is either one experiment or a fingerprint of everything
 * that influences training (dataset, split, training settings, seeds).
 */
import { createHash } from 'node:crypto';
import type { JsonValue } from './types';

export function experimentCacheScope(experimentId: number): string {
  return `experiment:${experimentId}`;
}

/** A scope shared by experiments whose `protocol` values are equal as JSON (key order ignored). */
export function protocolCacheScope(protocol: JsonValue): string {
  return `protocol:${createHash('sha256').update(canonicalJson(protocol)).digest('hex').slice(0, 32)}`;
}

/** JSON with object keys sorted, so equal values give equal text. */
export function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
