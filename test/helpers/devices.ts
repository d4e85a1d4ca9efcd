/** A device as the engine check reports it, for the memory-budget tests. */
const GiB = 2 ** 30;

/** One NVIDIA H100 as a PyTorch trainer saw it (free and total memory as measured). */
export const h100 = {
  kind: 'cuda' as const,
  name: 'NVIDIA H100 80GB HBM3',
  index: 0,
  freeBytes: 79.1 * GiB,
  totalBytes: 79.6 * GiB,
};
