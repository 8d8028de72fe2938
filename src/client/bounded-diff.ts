/**
 * The diff the output panel shows when a run differs from the recorded output, bounded: a run can
 * print 200,000 lines, and a Myers diff of that against a 3-line record would cost seconds of the
 * main thread and a page of DOM. Recorded outputs are short (they are read on the page), so the
 * run's output is cut a fixed number of lines past the record's length before diffing, and the
 * panel says how many lines were left out of the diff. Whether the outputs match is still decided
 * on the whole output (session.ts); only the diff is bounded.
 */
import { type CompareOptions, diffOutputs } from '../examples/compare.ts';
import type { RecordedOutput } from '../examples/output.ts';

/** Lines of the run's output diffed beyond the recorded output's own line count. */
export const DIFF_EXTRA_LINES = 200;

/** A bounded diff. */
export interface BoundedDiff {
  /** The unified diff (compare.ts `diffOutputs`) of the recorded output and the kept part of the run's; may be empty (see `omittedLines`). */
  diff: string;
  /** Lines of the run's output left out of the diff (0: it is whole). */
  omittedLines: number;
}

/**
 * Diff a run's output against the recorded output, cutting the run's output first when it is much longer.
 * @param label `file:line` of the example, for the diff's headers.
 * @param recorded the recorded output.
 * @param actual the run's whole output.
 * @param options as for compare.ts `outputsMatch`.
 * @param extra lines kept past the recorded output's line count; default {@link DIFF_EXTRA_LINES}.
 * @returns the diff and how many lines of the run's output it leaves out.
 */
export function boundedDiff(
  label: string,
  recorded: RecordedOutput,
  actual: RecordedOutput,
  options: CompareOptions,
  extra = DIFF_EXTRA_LINES,
): BoundedDiff {
  const keep = (recorded.text === '' ? 0 : recorded.text.split('\n').length) + extra;
  // The index of the keep-th newline, without splitting a megabyte of text.
  let at = -1;
  for (let n = 0; n < keep; n++) {
    at = actual.text.indexOf('\n', at + 1);
    if (at < 0) return { diff: diffOutputs(label, recorded, actual, options), omittedLines: 0 };
  }
  let omittedLines = 1;
  for (let i = actual.text.indexOf('\n', at + 1); i >= 0; i = actual.text.indexOf('\n', i + 1)) omittedLines++;
  const cut: RecordedOutput = {
    ...actual,
    text: actual.text.slice(0, at),
    stderrLines: actual.stderrLines.filter((n) => n <= keep),
  };
  return { diff: diffOutputs(label, recorded, cut, options), omittedLines };
}
