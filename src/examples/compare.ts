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
 * visible, and a final `[exit status N]` line: the text both sides of a diff are written in.
 */
export function transcriptLines(output: RecordedOutput): string[] {
  const stderr = new Set(output.stderrLines);
  const lines = output.text === '' ? [] : output.text.split('\n');
  return [...lines.map((line, i) => (stderr.has(i + 1) ? STDERR_MARK : '') + showWhitespace(line)), `[exit status ${output.exitStatus}]`];
}

/**
 * The ellipsis marker: in a recorded output, `[...]` matches any text, including none and
 * line breaks (like doctest's ELLIPSIS), for output that legitimately varies between runs
 * (addresses, timings). Stderr line numbers are then not compared, since the marker may span lines.
 */
export const ELLIPSIS = '[...]';

/** A regular expression for a recorded text containing {@link ELLIPSIS}. */
function ellipsisPattern(text: string): RegExp {
  const parts = text.split(ELLIPSIS).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('[\\s\\S]*?')}$`);
}

/**
 * True when `actual` matches `recorded`: same text (or matching its `[...]` markers), same
 * stderr lines, same exit status.
 */
export function outputsMatch(recorded: RecordedOutput, actual: RecordedOutput): boolean {
  if (recorded.exitStatus !== actual.exitStatus) return false;
  if (recorded.text.includes(ELLIPSIS)) return ellipsisPattern(recorded.text).test(actual.text);
  return recorded.text === actual.text && recorded.stderrLines.join(',') === actual.stderrLines.join(',');
}

/**
 * A unified diff from the recorded to the actual transcript, 3 lines of context.
 * @param label where the example is, e.g. `content/finally.mdx:12`, used in both file headers.
 * @returns the patch text from its `---` header on; empty when the outputs match.
 */
export function diffOutputs(label: string, recorded: RecordedOutput, actual: RecordedOutput): string {
  if (outputsMatch(recorded, actual)) return '';
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
