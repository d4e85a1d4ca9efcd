import { describe, expect, it } from 'vitest';
import { discoverDataset } from '../../main/data/discover';
import { generatePhantomDataset } from '../../main/data/phantom';
import { trainingDataStats } from '../../main/data/trainingStats';
import { withTempDir } from './helpers';

describe('training data statistics', () => {
  it("record the training images' spacing range, which Apply compares new images with", async () => {
    await withTempDir(async (dir) => {
      await generatePhantomDataset(dir, { cases: 3, size: 12, sliceThickness: 3 });
      const report = await discoverDataset(dir);
      const stats = trainingDataStats(report, report.usableCaseIds);
      expect(stats?.spacing).toEqual({ min: [1, 1, 3], max: [1, 1, 3] });
    });
  });
});
