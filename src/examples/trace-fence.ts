/**
 * The `trace` fence: the line sequence of a python block with the `trace` meta, recorded by
 * `npm run verify -- --update` right after its output fence and checked like the output
 * (issue 14). The body lists the steps in order, separated by spaces and wrapped: the line
 * number of each LINE event of `sys.monitoring` in example.py (tracer.py), and `atexit` /
 * `finalize` where the example's code runs in the atexit handlers or in finalization:
 *
 * ````md
 * ```trace
 * 1 7 2 3 5 8
 * ```
 * ````
 */
import { createTwoFilesPatch } from 'diff';
import type { Trace } from './trace-types.ts';

/** The fence language of a recorded trace. */
export const TRACE_LANG = 'trace';

/** The words of phase markers in a trace fence (trace-types.ts `TraceEventKind`). */
const MARKERS = new Set(['atexit', 'finalize']);

/** Widest line written in a trace fence body, in characters (without the container's prefix). */
export const TRACE_FENCE_WIDTH = 72;

/**
 * The steps a trace fence records for `trace`: each `line` event's line number as a string, and
 * the `atexit` / `finalize` markers, in order.
 */
export function traceSteps(trace: Trace): string[] {
  return trace.events.filter((e) => e.kind === 'line' || MARKERS.has(e.kind)).map((e) => (e.kind === 'line' ? String(e.line) : e.kind));
}

/**
 * A trace fence's body for `steps`: space-separated, wrapped at {@link TRACE_FENCE_WIDTH}
 * characters, lines joined with `\n` (update.ts writes the file's own line ending).
 */
export function formatTraceSteps(steps: readonly string[]): string {
  const lines: string[] = [];
  let current = '';
  for (const step of steps) {
    if (current && current.length + 1 + step.length > TRACE_FENCE_WIDTH) {
      lines.push(current);
      current = step;
    } else current = current ? `${current} ${step}` : step;
  }
  if (current) lines.push(current);
  return lines.join('\n');
}

/**
 * Read a trace fence's body.
 * @param text the fence's text (any line endings, any spacing between steps).
 * @returns the steps in order.
 * @throws Error naming the first token that is neither a positive line number nor `atexit`/`finalize`.
 */
export function parseTraceSteps(text: string): string[] {
  const steps = text.split(/\s+/).filter((token) => token !== '');
  for (const step of steps) {
    if (!/^[1-9]\d{0,6}$/.test(step) && !MARKERS.has(step)) {
      throw new Error(
        `a trace fence holds line numbers and the words atexit and finalize, separated by spaces; found ${JSON.stringify(step.slice(0, 40))}: re-record it with --update`,
      );
    }
  }
  return steps;
}

/** True when two step lists are the same. */
export function sameSteps(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((step, i) => step === b[i]);
}

/**
 * A unified diff recorded → actual of two step lists, one step per line (`line 5`, `atexit`),
 * so that a drift shows where the order changed.
 * @param label the block's `file:line`, in the diff's header.
 */
export function diffSteps(label: string, recorded: readonly string[], actual: readonly string[]): string {
  const lines = (steps: readonly string[]) => steps.map((s) => (MARKERS.has(s) ? s : `line ${s}`)).join('\n') + '\n';
  const patch = createTwoFilesPatch(label, label, lines(recorded), lines(actual), 'recorded trace', 'actual trace', { context: 3 });
  return patch.slice(patch.indexOf('--- ')).trimEnd();
}
