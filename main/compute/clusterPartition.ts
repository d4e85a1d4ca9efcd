/**
 * One Slurm partition as sinfo shows it (main/compute/slurmCommands.ts parses it), as a schema: the setup
 * page lists them. No Node imports here, so the renderer may import it through main/api.ts.
 */
import { z } from 'zod';

export const clusterPartitionSchema = z.object({
  name: z.string(),
  isDefault: z.boolean(),
  available: z.string(),
  timeLimit: z.string(),
  nodes: z.number(),
  /** e.g. "gpu:a100:4", or null when the nodes have no generic resources. */
  gres: z.string().nullable(),
  cpusPerNode: z.string(),
  memoryMBPerNode: z.string(),
  state: z.string(),
});
export type ClusterPartition = z.infer<typeof clusterPartitionSchema>;
