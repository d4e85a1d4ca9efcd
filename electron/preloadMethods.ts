/**
 * The method names the preload exposes. Kept as a literal list (not imported from the zod schemas)
 * so the sandboxed preload bundle stays tiny; a test checks it equals the contract's methods.
 */
import type { ApiMethod } from '../main/api';

export const PRELOAD_METHODS: readonly ApiMethod[] = [
  'getInfo',
  'openDataset',
  'createDemoDataset',
  'listPresets',
  'validateConfig',
  'readVolume',
  'listExperiments',
  'getExperiment',
  'getCandidate',
  'getCandidatePage',
  'getInsights',
  'startSearch',
  'pauseSearch',
  'resumeSearch',
  'stopSearch',
  'evaluateTest',
  'exportExperiment',
  'startApply',
  'getApply',
  'cancelApply',
  'bundleExperiment',
  'importBundle',
  'getEngineSettings',
  'checkEngines',
  'setPython',
  'testCluster',
  'getCandidateJob',
  'readModelFile',
];
