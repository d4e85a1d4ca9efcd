/** Findings about a dataset: each names the file and what is wrong, and says whether the case is dropped. */
import type { NiftiErrorCode } from './niftiRead';

export type ProblemCode =
  // The file cannot be read as a volume.
  | NiftiErrorCode
  // A DICOM folder that does not convert to one 3-D series.
  | 'dicom'
  // The case's image and label disagree, or the content is unusable.
  | 'dims-mismatch'
  | 'affine-mismatch'
  | 'non-integer-label'
  | 'unknown-label'
  | 'too-many-labels'
  | 'empty-label'
  | 'non-finite-intensity'
  | 'constant-image'
  // Pairing and dataset-level findings.
  | 'missing-label'
  | 'missing-image'
  | 'missing-channel'
  | 'channel-count'
  | 'missing-file'
  | 'bad-dataset-json'
  | 'too-few-cases'
  | 'no-usable-case';

export interface Problem {
  code: ProblemCode;
  /** 'error' excludes the case (or, at dataset level, the dataset); 'warning' is informative. */
  severity: 'error' | 'warning';
  /** The file the finding is about (the dataset folder for dataset-level findings). */
  file: string;
  message: string;
}

export function problem(
  code: ProblemCode,
  file: string,
  message: string,
  severity: Problem['severity'] = 'error',
): Problem {
  return { code, severity, file, message };
}

export function formatProblem(p: Problem): string {
  return `${p.severity === 'error' ? 'error' : 'warning'} [${p.code}] ${p.file}: ${p.message}`;
}
