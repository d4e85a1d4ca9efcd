/**
 * What the views read from the app service beyond the search on screen: a candidate's full record, its
 * cluster job, the insights, a volume, a model file, the engine and cluster checks. Each read rejects
 * with the service's message, which the view that asked shows beside what it is about (a failed viewer
 * layer, a failed download); the shared engine check is state, fetched once and refreshed on change.
 */
import type {
  Candidate,
  CandidateJob,
  ClusterPartition,
  EngineCheck,
  EngineSettings,
  ExperimentInsights,
  ModelDownload,
  ModelFileData,
  SegnasBridge,
  VolumeData,
  VolumeRef,
} from '../../main/api';
import type { AppActions, AppState } from './appStore';
import { errorText } from './request';

export interface ReadState {
  /** What `checkEngines` found (shared by the status bar and the setup page); undefined until asked. */
  engineCheck?: { check?: EngineCheck; error?: string };
}

export interface ReadActions {
  readCandidate(experimentId: number, seq: number): Promise<Candidate>;
  readCandidateJob(experimentId: number, seq: number): Promise<CandidateJob | null>;
  readInsights(experimentId: number): Promise<ExperimentInsights>;
  readVolume(ref: VolumeRef): Promise<VolumeData>;
  readModelFile(experimentId: number, seq: number, file: ModelDownload): Promise<ModelFileData>;
  testCluster(ssh?: string): Promise<ClusterPartition[]>;
  /** What the time goal buys on this machine (the setup page's proposal). */
  proposeSettings: SegnasBridge['proposeSettings'];
  readEngineSettings(): Promise<EngineSettings>;
  /** Checks the engines, trying `python` first; the shared check is not changed. */
  checkEngines(python?: string): Promise<EngineCheck>;
  /** Saves (null: removes) the workspace's interpreter, then checks the engines again. */
  savePython(python: string | null): Promise<EngineSettings>;
  refreshEngineCheck(): Promise<void>;
}

type Api = Pick<
  SegnasBridge,
  | 'getCandidate'
  | 'getCandidateJob'
  | 'getInsights'
  | 'readVolume'
  | 'readModelFile'
  | 'testCluster'
  | 'proposeSettings'
  | 'getEngineSettings'
  | 'checkEngines'
  | 'setPython'
>;
type Get = () => AppState & AppActions;
type Set = (partial: Partial<AppState>) => void;

export function readActions(api: Api, set: Set, get: Get): ReadActions {
  let checking: Promise<void> | undefined;
  return {
    readCandidate: (experimentId, seq) => api.getCandidate({ experimentId, seq }),
    readCandidateJob: (experimentId, seq) => api.getCandidateJob({ experimentId, seq }),
    readInsights: (experimentId) => api.getInsights({ experimentId }),
    readVolume: (ref) => api.readVolume({ ref }),
    readModelFile: (experimentId, seq, file) => api.readModelFile({ experimentId, seq, file }),
    testCluster: async (ssh) => (await api.testCluster(ssh ? { ssh } : {})).partitions,
    proposeSettings: (req) => api.proposeSettings(req),
    readEngineSettings: () => api.getEngineSettings(),
    checkEngines: (python) => api.checkEngines(python ? { python } : {}),

    async savePython(python) {
      const saved = await api.setPython({ python });
      await get().refreshEngineCheck();
      return saved;
    },

    refreshEngineCheck() {
      // One check at a time: the status bar and the setup page ask at once on start.
      checking ??= api
        .checkEngines({})
        .then(
          (check) => set({ engineCheck: { check } }),
          (error: unknown) => set({ engineCheck: { error: errorText(error) } }),
        )
        .finally(() => {
          checking = undefined;
        });
      return checking;
    },
  };
}
