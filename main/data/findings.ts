/**
 * What a researcher should look at in a dataset beyond per-file problems: cases whose intensities or
 * spacing are far from the others', a mix of datatypes, and the same problem repeated over many files
 * summarised once with its likely cause. Shared by `segnas inspect` and the app's data report.
 */
import { basename } from 'node:path';
import type { DatasetFinding } from '../core/datasetFinding';
import { cappedList } from '../core/format';
import type { DiscoveredDataset } from './discover';
import type { Problem, ProblemCode } from './problems';

/** A case's intensity span this many times the median span (or that many times smaller) is flagged. */
export const INTENSITY_OUTLIER_FACTOR = 10;
/** A voxel side this many times the median side (or that many times smaller) is flagged. */
export const SPACING_OUTLIER_FACTOR = 2;
/** A problem found in at least this many files is summarised as one finding. */
export const GROUP_MIN = 3;

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const far = (value: number, reference: number, factor: number) =>
  reference > 0 && (value > reference * factor || value < reference / factor);

const fmt = (v: number) => (Math.abs(v) >= 1e4 ? v.toExponential(2) : String(+v.toPrecision(4)));

function intensityOutliers(report: DiscoveredDataset): DatasetFinding[] {
  const spans = report.cases.flatMap((c) =>
    c.image?.intensity
      ? [{ id: c.id, ...c.image.intensity, span: c.image.intensity.max - c.image.intensity.min }]
      : [],
  );
  if (spans.length < 3) return [];
  const typical = median(spans.map((s) => s.span));
  // Farthest first: a case 200× off matters more than one 11× off.
  const offBy = (span: number) => Math.max(span / typical, typical / Math.max(span, Number.MIN_VALUE));
  const odd = spans
    .filter((s) => far(s.span, typical, INTENSITY_OUTLIER_FACTOR))
    .sort((a, b) => offBy(b.span) - offBy(a.span));
  if (odd.length === 0) return [];
  return [
    {
      kind: 'intensity-outlier',
      severity: 'warning',
      message:
        `${odd.length} case${odd.length === 1 ? '' : 's'} with intensities more than ${INTENSITY_OUTLIER_FACTOR}× ` +
        `from the others' (median range ${fmt(typical)}): ${cappedList(
          odd.map((s) => `${s.id} ${fmt(s.min)}..${fmt(s.max)}`),
          5,
          ', ',
        )}; check ${odd.length === 1 ? 'its' : 'their'} scaling or modality (normalisation per image hides it from training, not from you)`,
      items: odd.map((s) => s.id),
    },
  ];
}

function spacingOutliers(report: DiscoveredDataset): DatasetFinding[] {
  const spaced = report.cases.flatMap((c) => {
    const spacing = c.image?.spacing ?? c.label?.spacing;
    return spacing ? [{ id: c.id, spacing }] : [];
  });
  if (spaced.length < 3) return [];
  const typical = [0, 1, 2].map((axis) => median(spaced.map((s) => s.spacing[axis])));
  const odd = spaced.filter((s) =>
    s.spacing.some((v, axis) => far(v, typical[axis], SPACING_OUTLIER_FACTOR)),
  );
  if (odd.length === 0) return [];
  const mm = (v: readonly number[]) => v.map((x) => +x.toFixed(3)).join('×');
  return [
    {
      kind: 'spacing-outlier',
      severity: 'warning',
      message:
        `${odd.length} case${odd.length === 1 ? '' : 's'} with a voxel spacing more than ${SPACING_OUTLIER_FACTOR}× ` +
        `from the others' (median ${mm(typical)} mm): ${cappedList(
          odd.map((s) => `${s.id} ${mm(s.spacing)}`),
          5,
          ', ',
        )}; resampling to one size stretches these differently`,
      items: odd.map((s) => s.id),
    },
  ];
}

function datatypeMix(report: DiscoveredDataset): DatasetFinding[] {
  const byType = new Map<string, string[]>();
  for (const c of report.cases)
    if (c.image) byType.set(c.image.datatype, [...(byType.get(c.image.datatype) ?? []), c.id]);
  if (byType.size < 2) return [];
  const groups = [...byType].sort((a, b) => b[1].length - a[1].length);
  return [
    {
      kind: 'datatype-mix',
      severity: 'warning',
      message: `images of ${groups.length} datatypes: ${groups
        .map(([type, ids]) => `${type} (${ids.length}: ${cappedList(ids, 3, ', ')})`)
        .join('; ')}; were they exported the same way? Intensities may be on different scales`,
      items: groups.slice(1).flatMap(([, ids]) => ids),
    },
  ];
}

/** Images whose values look like a label map's: integers from a handful of small values. */
function looksLikeLabels(report: DiscoveredDataset, files: ReadonlySet<string>): boolean {
  const images = report.cases.filter((c) => c.imagePath && files.has(c.imagePath) && c.image?.intensity);
  if (images.length === 0) return basename(report.root) === 'labelsTr';
  const labelLike = images.filter((c) => {
    const r = c.image!.intensity!;
    return !/float/.test(c.image!.datatype) && r.min >= 0 && r.max <= 64;
  });
  return labelLike.length >= images.length / 2 || basename(report.root) === 'labelsTr';
}

/** The likely cause of one problem repeated over many files, or undefined where none is known. */
function likelyCause(
  code: ProblemCode,
  report: DiscoveredDataset,
  files: ReadonlySet<string>,
): string | undefined {
  switch (code) {
    case 'missing-label':
      return looksLikeLabels(report, files)
        ? 'these look like label maps: did you pick labelsTr? Pick the folder that holds imagesTr/ and labelsTr/'
        : 'no label map beside them: labels are matched as <case>_seg (or _label, _labels, _mask), or by name in labelsTr/';
    case 'missing-image':
      return 'label maps without an image: is imagesTr/ missing, or are the images named differently?';
    case 'too-many-labels':
      return 'these "label maps" hold image-like values: were images put in labelsTr/, or does dataset.json lack its labels?';
    case 'dims-mismatch':
    case 'affine-mismatch':
      return 'image and label grids differ: the labels were likely drawn on a resampled or re-oriented image';
    case 'unknown-label':
      return 'label values dataset.json does not list: add them to its "labels"';
    case 'empty-label':
      return 'label maps without foreground: cases not annotated yet?';
    case 'corrupt-gzip':
    case 'bad-magic':
    case 'truncated-header':
    case 'truncated-data':
    case 'unreadable':
      return 'damaged or not NIfTI: an interrupted copy or download? Copy them again';
    default:
      return undefined;
  }
}

function repeatedProblems(report: DiscoveredDataset): DatasetFinding[] {
  const all: Problem[] = [...report.problems, ...report.cases.flatMap((c) => c.problems)];
  const byCode = new Map<ProblemCode, Problem[]>();
  for (const p of all) byCode.set(p.code, [...(byCode.get(p.code) ?? []), p]);
  const out: DatasetFinding[] = [];
  for (const [code, problems] of byCode) {
    if (problems.length < GROUP_MIN) continue;
    const files = new Set(problems.map((p) => p.file));
    const cause = likelyCause(code, report, files);
    const severity = problems.some((p) => p.severity === 'error') ? 'error' : 'warning';
    out.push({
      kind: code,
      severity,
      message: `${problems.length} files: ${cause ?? `the same problem (${problems[0].message})`}`,
      items: [...files],
    });
  }
  return out;
}

export function datasetFindings(report: DiscoveredDataset): DatasetFinding[] {
  return [
    ...repeatedProblems(report),
    ...intensityOutliers(report),
    ...spacingOutliers(report),
    ...datatypeMix(report),
  ];
}
