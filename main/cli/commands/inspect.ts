/** `segnas inspect`: discovers a dataset and prints its validation report. */

import { type DatasetPlan, formatPlan } from '../../core/datasetPlan';
import { cappedList } from '../../core/format';
import { type DiscoveredDataset, discoverDataset, reportProblems } from '../../data/discover';
import { datasetFindings } from '../../data/findings';
import { formatProblem } from '../../data/problems';
import { previewPlan } from '../../search/nativePlan';
import { defineCommand, UsageError } from '../command';

function fmtRange(r: { min: number; max: number } | null | undefined): string {
  if (!r) return '-';
  const f = (v: number) =>
    Number.isInteger(v) ? String(v) : Math.abs(v) >= 1000 ? v.toExponential(2) : v.toPrecision(4);
  return `${f(r.min)}..${f(r.max)}`;
}

export function formatReport(report: DiscoveredDataset, plan?: DatasetPlan): string {
  const lines: string[] = [];
  lines.push(`dataset  ${report.name ?? '(unnamed)'}  [${report.layout} layout]  ${report.root}`);
  lines.push(`labels   ${report.labels.map((l) => `${l.value}=${l.name}`).join(', ')}`);
  const { count, names } = report.channels;
  lines.push(`channels ${count}: ${names.join(', ')}`);
  if (plan) lines.push(`${formatPlan(plan)}  (native protocol; docs/protocols.md)`);
  lines.push('');
  lines.push(
    'case                      dims         spacing (mm)       image/label type   intensity           labels',
  );
  for (const c of report.cases) {
    const dims = c.image?.dims.join('×') ?? c.label?.dims.join('×') ?? '-';
    const sp = (c.image?.spacing ?? c.label?.spacing)?.map((s) => +s.toFixed(3)).join('×') ?? '-';
    const types = `${c.image?.datatype ?? '-'}/${c.label?.datatype ?? '-'}`;
    const mark = c.usable ? ' ' : '✗';
    lines.push(
      `${mark}${c.id.padEnd(25)}${dims.padEnd(13)}${sp.padEnd(19)}${types.padEnd(19)}${fmtRange(c.image?.intensity).padEnd(20)}${c.label ? cappedList(c.label.values) : '-'}`,
    );
  }
  const problems = reportProblems(report);
  if (problems.length > 0) {
    lines.push('', 'problems:');
    for (const p of problems) lines.push(`  ${formatProblem(p)}`);
  }
  const findings = datasetFindings(report);
  if (findings.length > 0) {
    lines.push('', 'findings:');
    for (const f of findings) lines.push(`  ${f.severity} [${f.kind}] ${f.message}`);
  }
  const usable = report.usableCaseIds.length;
  lines.push(
    '',
    `${report.cases.length} case${report.cases.length === 1 ? '' : 's'}, ${usable} usable, ${report.cases.length - usable} excluded` +
      (report.ok ? '' : ' — no usable dataset'),
  );
  return lines.join('\n');
}

export const { run } = defineCommand({
  name: 'inspect',
  usage: 'segnas inspect <dir | files...> [--json]',
  description: `Finds the cases of a dataset (MSD / nnU-Net layout with imagesTr/ and labelsTr/, or image/label pairs
named <case> and <case>_seg / _label / _labels / _mask), reads every file, and reports per case the
dims, spacing, datatype, intensity range and label values, and every problem found. Cases with a
problem are excluded. The plan line is what --protocol native would train at (docs/protocols.md): target
spacing, median shape, patch and batch for SegNAS4 on this machine's CPU. Exit status 1 when too few usable cases remain for a train/validation/test split.`,
  options: {
    json: { type: 'boolean', help: 'print the report as JSON' },
  },
  positionals: true,
  async action({ values, positionals: inputs }) {
    if (inputs.length === 0) throw new UsageError('give a dataset folder or files');
    const report = await discoverDataset(inputs.length === 1 ? inputs[0] : inputs);
    // The plan needs usable cases; a dataset without them gets its problems, not a plan.
    const plan = report.usableCaseIds.length > 0 ? await previewPlan(report) : undefined;
    console.log(values.json ? JSON.stringify({ ...report, plan }, null, 2) : formatReport(report, plan));
    return report.ok ? 0 : 1;
  },
});
