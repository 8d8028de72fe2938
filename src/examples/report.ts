/**
 * Reporting: turns verification results into the text the CLI prints. Pure functions of the
 * reports, so tests can pin the exact wording.
 */
import type { BlockResult, ContentFile, FileReport } from './verify.ts';

/** Counts behind the summary line. */
export interface Totals {
  passed: number;
  failed: number;
  skipped: number;
  updated: number;
  errors: number;
}

/** Count results: drifted and missing blocks are failures; problems are errors. */
export function totals(reports: readonly FileReport[]): Totals {
  const t: Totals = { passed: 0, failed: 0, skipped: 0, updated: 0, errors: 0 };
  for (const report of reports) {
    t.errors += report.problems.length;
    for (const r of report.results) {
      if (r.status === 'passed') t.passed++;
      else if (r.status === 'skipped') t.skipped++;
      else if (r.status === 'updated') t.updated++;
      else t.failed++;
    }
  }
  return t;
}

/** The closing line: `N passed, N failed, N skipped`, then `, N updated` / `, N errors` when nonzero. */
export function summaryLine(t: Totals): string {
  let line = `${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`;
  if (t.updated) line += `, ${t.updated} updated`;
  if (t.errors) line += `, ${t.errors} error${t.errors === 1 ? '' : 's'}`;
  return line;
}

/** One line per file once its blocks are done: `✓ content/a.mdx  8 passed, 1 skipped`. */
export function fileLine(report: FileReport): string {
  const count = (status: BlockResult['status']) => report.results.filter((r) => r.status === status).length;
  const failed = count('drifted') + count('missing');
  const parts = [`${count('passed')} passed`];
  if (failed) parts.push(`${failed} failed`);
  if (count('skipped')) parts.push(`${count('skipped')} skipped`);
  if (count('updated')) parts.push(`${count('updated')} re-recorded`);
  if (report.problems.length) parts.push(`${report.problems.length} error${report.problems.length === 1 ? '' : 's'}`);
  const mark = failed || report.problems.length ? '✗' : '✓';
  return `${mark} ${report.file}  ${parts.join(', ')}`;
}

/** Details of every failure and error, each starting with `file:line`, ready to print. */
export function failureDetails(reports: readonly FileReport[], updateCommand: string): string[] {
  const out: string[] = [];
  for (const report of reports) {
    for (const p of report.problems) {
      out.push(`${p.file}:${p.line}${p.column ? ':' + p.column : ''}: error: ${p.message}`);
    }
    for (const r of report.results) {
      const where = `${r.block.file}:${r.block.line}`;
      if (r.status === 'drifted') {
        out.push(`${where}: recorded output drifted (output fence at line ${r.block.output!.line}); re-record with: ${updateCommand} ${r.block.file}\n${r.diff}`);
      } else if (r.status === 'missing') {
        out.push(`${where}: python block has no output fence after it; record one with: ${updateCommand} ${r.block.file}`);
      }
    }
  }
  return out;
}

/** `--list` inventory: one line per block with its state (`run`, or `not run: reason`). */
export function inventoryLines(files: readonly ContentFile[]): string[] {
  const out: string[] = [];
  for (const content of files) {
    for (const p of content.problems) out.push(`${p.file}:${p.line}  error: ${p.message}`);
    for (const block of content.blocks) {
      const state = block.meta.norun !== null ? `not run: ${block.meta.norun}` : block.output ? 'run' : 'run (no output fence yet)';
      const firstLine = block.code.split('\n').find((l) => l.trim() !== '') ?? '';
      out.push(`${block.file}:${block.line}  ${state}  │ ${firstLine.slice(0, 60)}`);
    }
  }
  return out;
}
