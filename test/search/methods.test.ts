/** The Methods paragraph a researcher pastes: its references are only what the method's text confirms. */
import { describe, expect, it } from 'vitest';
import { methodsParagraph, methodsSection } from '../../main/search/methods';
import type { Candidate, Experiment } from '../../main/store';
import { experimentConfig } from '../helpers/searchConfigs';

const experiment: Omit<Experiment, 'owner' | 'heartbeatAt'> = {
  id: 1,
  name: 'hippocampus',
  status: 'finished',
  statusReason: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T01:00:00.000Z',
  config: experimentConfig({ training: { size: 64, epochs: 100, batch: 3 } }),
  datasetFingerprint: 'fp',
  seeds: { search: 7, split: 3 },
  splits: [{ train: ['a', 'b'], validation: ['c'], test: ['d'] }],
  backend: 'wasm',
  device: 'CPU (WebAssembly)',
  softwareVersion: '0.1.0',
  best: { seq: 0, f: 0.2, valDice: 0.82 },
};

const candidate: Candidate = {
  experimentId: 1,
  seq: 0,
  x: [16.5, 3.5, 0.5, 1.5],
  key: '16,3,0,1',
  spec: { n: 16, p: 3, sup: false, res: true, block: { nodes: 3, ops: [2, 0, 2] }, extras: {} },
  status: 'trained',
  reason: null,
  f: 0.2,
  valDice: 0.82,
  perLabelDice: { anterior: 0.8, posterior: 0.84 },
  paramCount: 123456,
  estMemoryBytes: null,
  peakMemoryBytes: null,
  device: 'cpu:0',
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:30:00.000Z',
  curve: [],
};

describe('Methods paragraph', () => {
  const paragraph = methodsParagraph(experiment, [candidate], []);
  const section = methodsSection(paragraph);

  it('cites the method, and controlled random search through it, as its one reference', () => {
    expect(paragraph).toMatch(/searched with SegNAS3D \[1\]/);
    expect(paragraph).toMatch(
      /controlled random search \(CRS\) as in \[1\], in its variant with local mutation \(CRS2-LM\), with a population of 50 over 4 searched hyperparameters and a budget of 300 evaluations \(seed 7\)/,
    );
    expect(section.match(/^\[\d+\]/gm)).toEqual(['[1]']);
    expect(section).not.toMatch(/\[2\]/);
  });

  it('says how the kept networks can be used elsewhere: ONNX with its input, output and preprocessing', () => {
    expect(paragraph).toMatch(
      /provided as an ONNX model \(opset 13; input the preprocessed image \[N, C, D, H, W\], output the softmax probabilities \[N, K, D, H, W\]\) with a file stating this preprocessing and the label value of each output class \(preprocessing\.json\)/,
    );
  });

  it('cites the method as its publisher lists it, and nothing it could not confirm', () => {
    const reference = section.slice(section.lastIndexOf('\n[1] ') + 1);
    expect(reference).toMatch(
      /^\[1\] Wong, K\.C\.L\., Moradi, M\.: SegNAS3D: Network Architecture Search with Derivative-Free Global Optimization for 3D Image Segmentation\. In: Medical Image Computing and Computer Assisted Intervention – MICCAI 2019\. LNCS, vol\. 11766\./,
    );
    expect(reference).toContain('https://doi.org/10.1007/978-3-030-32248-9_44');
    // No page range and no optimizer reference written from memory.
    expect(reference).not.toMatch(/pp\.|Kaelo|Price/);
  });
});
