/**
 * Comparison: recorded output vs actual output → a verdict and, on drift, a unified diff
 * (from the `diff` package) over a transcript that shows what plain text hides: whitespace,
 * which stream each line came from, and the exit status. Shared by the CLI and the browser.
 */
import { createTwoFilesPatch } from 'diff';
import type { RecordedOutput } from './output.ts';

/** Marker before a stderr line in transcripts. */
export const STDERR_MARK = '[stderr] ';

/**
 * Make whitespace visible: tab → `→`, carriage return → `␍`, no-break space → `⍽`, trailing
 * spaces → `·`. Other characters are kept as they are.
 */
export function showWhitespace(line: string): string {
  const visible = line
    .replace(/\t/g, '→')
    .replace(/\r/g, '␍')
    .replace(/\u00a0/g, '⍽');
  const trailing = /( +)$/.exec(visible);
  return trailing ? visible.slice(0, trailing.index) + '·'.repeat(trailing[1]!.length) : visible;
}

/**
 * One line per terminal line, stderr lines marked with {@link STDERR_MARK}, whitespace made
 * visible, a `[CPython 3.N]` line for a native block's output (its `python=`), and a final
 * `[exit status N]` line: the text both sides of a diff are written in.
 */
export function transcriptLines(output: RecordedOutput): string[] {
  const stderr = new Set(output.stderrLines);
  const lines = output.text === '' ? [] : output.text.split('\n');
  const python = output.python ? [`[CPython ${output.python}]`] : [];
  return [
    ...lines.map((line, i) => (stderr.has(i + 1) ? STDERR_MARK : '') + showWhitespace(line)),
    ...python,
    `[exit status ${output.exitStatus}]`,
  ];
}

/**
 * The ellipsis marker. In the output fence of a block that opts in (the `ellipsis` or the
 * `nondeterministic` fence meta, see meta.ts), `[...]` matches any text, including none and line
 * breaks (like doctest's ELLIPSIS), for output that legitimately varies between runs (addresses,
 * timings); stderr line numbers are then not compared, since the marker may span lines. Without
 * the opt-in it is five literal characters: Python prints them too (`[1, [...]]` is the repr of a
 * list that contains itself).
 */
export const ELLIPSIS = '[...]';

/** How to compare: whether {@link ELLIPSIS} in the recorded output is a wildcard (the block's `PythonMeta.ellipsis`). */
export interface CompareOptions {
  ellipsis: boolean;
}

/** A regular expression for a recorded text containing {@link ELLIPSIS}. */
function ellipsisPattern(text: string): RegExp {
  const parts = text.split(ELLIPSIS).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('[\\s\\S]*?')}$`);
}

/**
 * True when `actual` matches `recorded`: same text, same stderr lines, same exit status, same
 * `python` (native blocks, output.ts); with
 * `options.ellipsis`, each {@link ELLIPSIS} in the recorded text matches any text instead and the
 * stderr lines are not compared.
 */
export function outputsMatch(recorded: RecordedOutput, actual: RecordedOutput, options: CompareOptions): boolean {
  if (recorded.exitStatus !== actual.exitStatus) return false;
  // A native block's output fence must record its CPython (`python=`), which --update writes.
  if ((recorded.python ?? null) !== (actual.python ?? null)) return false;
  if (options.ellipsis && recorded.text.includes(ELLIPSIS)) return ellipsisPattern(recorded.text).test(actual.text);
  return recorded.text === actual.text && recorded.stderrLines.join(',') === actual.stderrLines.join(',');
}

/**
 * Why an output cannot be accepted for a block whose `[...]` is a wildcard, or null. Such a
 * block printing the literal text `[...]` is ambiguous: its recorded fence could not tell the
 * printed characters from a wildcard, so recording it would turn real output into one that
 * matches anything, and comparing against it could pass output Python never printed. The
 * verifier fails the block, in check and update mode alike, and never records it.
 *
 * @param actual what the block printed.
 * @param options the block's comparison options.
 * @returns a one-sentence reason saying what to change, or null when the output is acceptable.
 */
export function literalEllipsis(actual: RecordedOutput, options: CompareOptions): string | null {
  if (!options.ellipsis || !actual.text.includes(ELLIPSIS)) return null;
  const line = actual.text.split('\n').findIndex((l) => l.includes(ELLIPSIS)) + 1;
  return (
    `printed the literal text ${ELLIPSIS} (output line ${line}), which cannot be recorded: in this block's output fence ${ELLIPSIS} ` +
    `is a wildcard (the ellipsis or nondeterministic meta). Remove that meta so ${ELLIPSIS} is compared literally, ` +
    `or change the code so that it does not print ${ELLIPSIS}`
  );
}

/**
 * A unified diff from the recorded to the actual transcript, 3 lines of context.
 * @param label where the example is, e.g. `content/finally.mdx:12`, used in both file headers.
 * @param options as for {@link outputsMatch}.
 * @returns the patch text from its `---` header on; empty when the outputs match.
 */
export function diffOutputs(label: string, recorded: RecordedOutput, actual: RecordedOutput, options: CompareOptions): string {
  if (outputsMatch(recorded, actual, options)) return '';
  const patch = createTwoFilesPatch(
    label,
    label,
    transcriptLines(recorded).join('\n') + '\n',
    transcriptLines(actual).join('\n') + '\n',
    'recorded',
    'actual',
    { context: 3 },
  );
  // Drop the `Index:`/`===` preamble: the `---`/`+++` headers already name the example.
  return patch.slice(patch.indexOf('--- ')).trimEnd();
}
