/**
 * Reporting: turns verification results into the text the CLI prints. Pure functions of the
 * reports, so tests can pin the exact wording.
 */
import { type ContentProblem, extractExamples } from './extract.ts';
import { nativeSkipReason, type NativeProbe } from './native.ts';
import type { RecordedOutput } from './output.ts';
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
  const failed = count('drifted') + count('missing') + count('failed');
  const parts = [`${count('passed')} passed`];
  if (failed) parts.push(`${failed} failed`);
  if (count('skipped')) parts.push(`${count('skipped')} skipped`);
  if (count('updated')) parts.push(`${count('updated')} re-recorded`);
  if (report.problems.length) parts.push(`${report.problems.length} error${report.problems.length === 1 ? '' : 's'}`);
  const mark = failed || report.problems.length ? '✗' : '✓';
  return `${mark} ${report.file}  ${parts.join(', ')}`;
}

/**
 * Details of every failure and error, and the reason of every skipped `runtime=native` block
 * (`file:line: skipped: …`), each starting with `file:line`, ready to print.
 */
export function failureDetails(reports: readonly FileReport[], updateCommand: string): string[] {
  const out: string[] = [];
  for (const report of reports) {
    for (const p of report.problems) {
      out.push(`${p.file}:${p.line}${p.column ? ':' + p.column : ''}: error: ${p.message}`);
    }
    for (const r of report.results) {
      const where = `${r.block.file}:${r.block.line}`;
      if (r.status === 'drifted' && r.traceOnly) {
        out.push(
          `${where}: recorded trace drifted (trace fence at line ${r.block.trace!.line}); re-record with: ${updateCommand} ${r.block.file}\n${r.diff}`,
        );
      } else if (r.status === 'missing' && r.traceOnly) {
        out.push(
          `${where}: python block with the trace meta has no trace fence after its output; record one with: ${updateCommand} ${r.block.file}`,
        );
      } else if (r.status === 'drifted') {
        out.push(
          `${where}: recorded output drifted (output fence at line ${r.block.output!.line}); re-record with: ${updateCommand} ${r.block.file}\n${r.diff}`,
        );
      } else if (r.status === 'missing') {
        out.push(`${where}: python block has no output fence after it; record one with: ${updateCommand} ${r.block.file}`);
      } else if (r.status === 'failed') {
        out.push(`${where}: ${r.reason}${r.diff ? '\n' + r.diff : ''}`);
      } else if (r.status === 'skipped' && r.reason) {
        out.push(`${where}: skipped: ${r.reason}`);
      }
    }
  }
  return out;
}

/**
 * `--list` inventory: one line per code fence of every language, in source order, as
 * `file:line  state  │ first line` (states: see `FenceEntry` in extract.ts: `run`, `not run: reason`,
 * `output of line N`, `not Python: lang`, `error: message`), then a file's problems that belong to
 * no fence (an MDX syntax error, an unclosed fence) as `file:line  error: message`. A
 * `runtime=native` block that would run reads `run, natively with CPython 3.N`, or
 * `skipped: <reason>` when this machine cannot verify it (native.ts `nativeSkipReason`).
 * @param files read content files; each is re-extracted from its `source` for the fence list.
 * @param native this machine's CPython (native.ts `probeNativePython`); absent: `runtime=native`
 *   blocks are listed as skipped, like verifyFiles does without one.
 */
export function inventoryLines(files: readonly Pick<ContentFile, 'file' | 'source'>[], native?: NativeProbe): string[] {
  const out: string[] = [];
  for (const content of files) {
    const { problems, fences, blocks } = extractExamples(content.file, content.source);
    const fenceLines = new Set(fences.map((f) => f.line));
    const nativeBlocks = new Map(blocks.filter((b) => b.meta.runtime === 'native').map((b) => [b.line, b]));
    const stateOf = (line: number, state: string) => {
      const block = nativeBlocks.get(line);
      if (!block || !state.startsWith('run')) return state;
      const skip = nativeSkipReason(block, native);
      if (skip) return `skipped: ${skip}`;
      // No skip reason: the probe found a CPython of the block's version.
      return native && 'interpreter' in native ? `${state}, natively with CPython ${native.interpreter.version}` : state;
    };
    const entries = [
      ...problems.filter((p) => !fenceLines.has(p.line)).map((p) => ({ line: p.line, text: `${p.file}:${p.line}  error: ${p.message}` })),
      ...fences.map((f) => ({
        line: f.line,
        text: `${content.file}:${f.line}  ${stateOf(f.line, f.state)}${f.firstLine ? `  │ ${f.firstLine.slice(0, 60).trimEnd()}` : ''}`,
      })),
    ];
    for (const entry of entries.sort((a, b) => a.line - b.line)) out.push(entry.text);
  }
  return out;
}

/** One block in the JSON report. Outputs are transcripts as in output.ts (text, stderrLines, exitStatus). */
export interface JsonBlock {
  file: string;
  line: number;
  status: BlockResult['status'];
  reason?: string;
  expected: RecordedOutput | null;
  actual: RecordedOutput | null;
  /** Run time in ms; null when skipped or answered from the cache. */
  durationMs: number | null;
}

/** The `--reporter json` document: every block, every content error, and the totals. */
export function jsonReport(reports: readonly FileReport[]): { totals: Totals; errors: ContentProblem[]; blocks: JsonBlock[] } {
  return {
    totals: totals(reports),
    errors: reports.flatMap((r) => r.problems),
    blocks: reports.flatMap((report) =>
      report.results.map((r) => ({
        file: r.block.file,
        line: r.block.line,
        status: r.status,
        ...(r.reason ? { reason: r.reason } : {}),
        expected: r.block.output?.recorded ?? null,
        actual: r.actual ?? null,
        durationMs: r.durationMs ?? null,
      })),
    ),
  };
}

/** Escape a GitHub Actions workflow-command value (https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts). */
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * `--reporter github`: one `::error file=…,line=…::…` annotation per failure and content error,
 * and a `::warning` per skipped `runtime=native` block (with its reason).
 */
export function githubAnnotations(reports: readonly FileReport[]): string[] {
  const out: string[] = [];
  const annotate = (file: string, line: number, title: string, message: string) =>
    out.push(`::error file=${escapeProperty(file)},line=${line},title=${escapeProperty(title)}::${escapeData(message)}`);
  for (const report of reports) {
    for (const p of report.problems) annotate(p.file, p.line, 'content error', p.message);
    for (const r of report.results) {
      if (r.status === 'drifted') annotate(r.block.file, r.block.line, 'recorded output drifted', r.diff ?? '');
      else if (r.status === 'missing') annotate(r.block.file, r.block.line, 'missing output fence', 'run npm run verify -- --update');
      else if (r.status === 'failed') annotate(r.block.file, r.block.line, 'example failed', `${r.reason}${r.diff ? '\n' + r.diff : ''}`);
      else if (r.status === 'skipped' && r.reason)
        out.push(`::warning file=${escapeProperty(r.block.file)},line=${r.block.line},title=not verified here::${escapeData(r.reason)}`);
    }
  }
  return out;
}
