/**
 * Names of objective-cache scopes. A floor(x) key means the same trained network only under the same
 * data and training protocol, so a search's cache is scoped to its experiment.
 */

export function experimentCacheScope(experimentId: number): string {
  return `experiment:${experimentId}`;
}
