/**
 * Driving the search on screen: start, pause, resume, stop, and the test evaluation of its best
 * candidates. A pause or stop stays marked until the service's event says it took effect.
 */

import type { AppActions, StoreBridge } from './appStore';
import type { Request, StoreGet, StoreSet } from './request';
import { mergeTests } from './searchReducer';

export type SearchActions = Pick<AppActions, 'startSearch' | 'pause' | 'resume' | 'stop' | 'evaluateTest'>;

export function searchActions(
  api: StoreBridge,
  set: StoreSet,
  get: StoreGet,
  attempt: Request,
): SearchActions {
  return {
    async startSearch() {
      const validation = await get().validate();
      if (!validation?.ok) {
        get().notify('error', 'Fix the highlighted settings before starting.');
        return;
      }
      const started = await attempt(
        'Cannot start the search',
        () => api.startSearch({ config: get().config }),
        {
          key: 'start',
          value: true,
        },
      );
      if (!started) return;
      set((s) => ({
        view: 'search',
        selectedSeq: undefined,
        compareSeqs: [],
        comparing: false,
        live:
          s.live?.experimentId === started.experimentId
            ? s.live
            : {
                experimentId: started.experimentId,
                status: 'running',
                candidates: [],
                tests: [],
                finals: [],
                validationCases: [],
                testCases: [],
                progress: { done: 0, total: get().config.evaluations },
              },
      }));
      void get().refreshExperiments();
      void get().refreshLive();
    },

    async pause() {
      const id = get().live?.experimentId;
      if (id === undefined) return;
      set((s) => ({ busy: { ...s.busy, stopping: 'pause' } }));
      const asked = await attempt('Cannot pause', async () => {
        await api.pauseSearch({ experimentId: id });
        return true;
      });
      if (!asked) set((s) => ({ busy: { ...s.busy, stopping: undefined } }));
    },

    async resume(experimentId) {
      const id = experimentId ?? get().live?.experimentId;
      if (id === undefined) return;
      if (get().live?.experimentId !== id) await get().openExperiment(id);
      // From the experiments list: show the search being resumed.
      set({ view: 'search' });
      await attempt('Cannot resume', () => api.resumeSearch({ experimentId: id }));
      void get().refreshExperiments();
    },

    async stop() {
      const id = get().live?.experimentId;
      if (id === undefined) return;
      set((s) => ({ busy: { ...s.busy, stopping: 'stop' } }));
      const asked = await attempt('Cannot stop', async () => {
        await api.stopSearch({ experimentId: id });
        return true;
      });
      if (!asked) set((s) => ({ busy: { ...s.busy, stopping: undefined } }));
    },

    async evaluateTest(topK) {
      const id = get().live?.experimentId;
      if (id === undefined) return;
      const result = await attempt(
        'Test evaluation failed',
        () => api.evaluateTest({ experimentId: id, topK }),
        {
          key: 'test',
          value: true,
        },
      );
      if (result)
        set((s) =>
          s.live?.experimentId === id
            ? { live: { ...s.live, tests: mergeTests(s.live.tests, result.results) } }
            : {},
        );
    },
  };
}
