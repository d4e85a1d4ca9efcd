/**
 * The contract's table (main/api.ts `API`) is the one source of its types: these checks fail — at
 * `npm run typecheck` for the type-level ones — when a request or response type and its schema disagree,
 * when a method has no handler in the app service, when a payload-less method starts to want an argument,
 * or when a response is a type without a schema. (test/api/responses.test.ts checks real answers.)
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  API,
  API_METHODS,
  ApiError,
  type ApiHandlers,
  type ApiRequest,
  type ApiResponse,
  type AppInfo,
  type CandidateColumns,
  type CandidateJob,
  type ClusterPartition,
  type DatasetReport,
  type EngineSettings,
  type ExperimentSummary,
  type Preset,
  parseRequest,
  type SearchConfig,
  type SegnasApi,
  type VolumeRef,
} from '../../main/api';
import type { Engine } from '../../main/engine';

describe('request and response types are the schemas', () => {
  it('derives each request type from its schema (typecheck fails on a mismatch)', () => {
    expectTypeOf<ApiRequest<'getInfo'>>().toEqualTypeOf<undefined>();
    expectTypeOf<ApiRequest<'openDataset'>>().toEqualTypeOf<{ path: string }>();
    expectTypeOf<ApiRequest<'createDemoDataset'>>().toEqualTypeOf<{ cases?: number; size?: number }>();
    expectTypeOf<ApiRequest<'startSearch'>>().toEqualTypeOf<{ config: SearchConfig }>();
    expectTypeOf<ApiRequest<'readVolume'>>().toEqualTypeOf<{ ref: VolumeRef }>();
    expectTypeOf<ApiRequest<'evaluateTest'>>().toEqualTypeOf<{ experimentId: number; topK: number }>();
    expectTypeOf<ApiRequest<'setPython'>>().toEqualTypeOf<{ python: string | null }>();
    expectTypeOf<ApiRequest<'readModelFile'>>().toEqualTypeOf<{
      experimentId: number;
      seq: number;
      file: 'model.onnx' | 'preprocessing.json';
    }>();
  });

  it('derives each response type from its schema (typecheck fails on a mismatch)', () => {
    expectTypeOf<ApiResponse<'getInfo'>>().toEqualTypeOf<AppInfo>();
    expectTypeOf<ApiResponse<'openDataset'>>().toEqualTypeOf<DatasetReport>();
    expectTypeOf<ApiResponse<'getCandidatePage'>>().toEqualTypeOf<CandidateColumns>();
    expectTypeOf<ApiResponse<'listPresets'>>().toEqualTypeOf<Preset[]>();
    expectTypeOf<ApiResponse<'listExperiments'>>().toEqualTypeOf<ExperimentSummary[]>();
    expectTypeOf<ApiResponse<'getCandidateJob'>>().toEqualTypeOf<CandidateJob | null>();
    expectTypeOf<ApiResponse<'startSearch'>>().toEqualTypeOf<{ experimentId: number }>();
    expectTypeOf<ApiResponse<'startApply'>>().toEqualTypeOf<{ runId: number }>();
    expectTypeOf<ApiResponse<'testCluster'>>().toEqualTypeOf<{ partitions: ClusterPartition[] }>();
    expectTypeOf<ApiResponse<'stopSearch'>>().toEqualTypeOf<void>();
    expectTypeOf<ApiResponse<'readVolume'>['bytes']>().toExtend<Uint8Array>();
    expectTypeOf<ApiResponse<'setPython'>>().toEqualTypeOf<EngineSettings>();
  });

  it('gives callers a no-argument method where the schema takes no payload', () => {
    expectTypeOf<SegnasApi['getInfo']>().parameters.toEqualTypeOf<[]>();
    expectTypeOf<SegnasApi['listPresets']>().parameters.toEqualTypeOf<[]>();
    expectTypeOf<SegnasApi['openDataset']>().parameters.toEqualTypeOf<[req: { path: string }]>();
  });

  it('has the app service handle every method of the table with its types', () => {
    expectTypeOf<Engine>().toExtend<ApiHandlers>();
    expectTypeOf<Engine>().toExtend<SegnasApi>();
  });
});

describe('the table at run time', () => {
  it('gives every method a response schema, none of them a type-only stand-in', () => {
    for (const method of API_METHODS) {
      const { type } = API[method].response.def;
      expect(type, method).not.toBe('custom');
    }
  });

  it('lists exactly the methods of the table', () => {
    expect(API_METHODS).toEqual(Object.keys(API));
    expect(API_METHODS).toContain('getInfo');
    expect(new Set(API_METHODS).size).toBe(API_METHODS.length);
  });

  it('hands a payload-less method undefined whatever empty payload a transport sent', () => {
    for (const empty of [undefined, null, {}]) expect(parseRequest('listPresets', empty)).toBeUndefined();
  });

  it('refuses a payload that does not fit, naming the field', () => {
    expect(() => parseRequest('getCandidate', { experimentId: 1, seq: -1 })).toThrow(ApiError);
    try {
      parseRequest('getCandidate', { experimentId: 1, seq: -1 });
    } catch (error) {
      expect((error as ApiError).field).toBe('seq');
      expect((error as ApiError).message).toMatch(/getCandidate: seq/);
    }
  });
});
