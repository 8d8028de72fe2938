/**
 * What the stepper (stepper.ts) shows of a traced run's output at one step: the output written
 * before that step's event. Pure functions, no DOM, so that they are unit-tested in Node.
 */
import type { OutputChunk } from '../examples/output.ts';

/** Most characters of output the stepper puts in the DOM at one step: the last ones before it. */
export const STEP_OUTPUT_CHARS = 20_000;

/** The output before one step, cut to its end. */
export interface StepOutput {
  /** The pieces shown, in order, consecutive pieces of one stream merged. */
  chunks: OutputChunk[];
  /** UTF-16 code units written before the step and left out of `chunks` (the earliest ones). */
  hidden: number;
}

/**
 * The output a run had written when a trace event happened.
 *
 * @param chunks the run's output in the order written (stdout and stderr interleaved), as the
 *   runner sends it (src/examples/runner.ts `onChunk`).
 * @param offset the event's `outputOffset` (src/examples/trace-types.ts): UTF-16 code units of
 *   those chunks, counted over both streams, written before it. An offset past the end (output
 *   the runner dropped past its limit) gives all of it; a negative one gives none.
 * @param limit most code units to return (the last ones); {@link STEP_OUTPUT_CHARS} by default.
 * @returns the first `offset` code units of the chunks' combined text, keeping which stream each
 *   came from, of which only the last `limit` are given; `hidden` counts those left out.
 */
export function outputBefore(chunks: readonly OutputChunk[], offset: number, limit = STEP_OUTPUT_CHARS): StepOutput {
  const taken: OutputChunk[] = [];
  let left = Math.max(0, offset);
  for (const chunk of chunks) {
    if (left <= 0) break;
    const text = chunk.text.slice(0, left);
    left -= text.length;
    if (text === '') continue;
    const last = taken[taken.length - 1];
    if (last?.stream === chunk.stream) last.text += text;
    else taken.push({ stream: chunk.stream, text });
  }
  // Keep the end: the reader follows what the step just printed.
  let total = taken.reduce((sum, c) => sum + c.text.length, 0);
  let hidden = 0;
  while (total > limit && taken.length > 0) {
    const first = taken[0]!;
    const cut = Math.min(first.text.length, total - limit);
    hidden += cut;
    total -= cut;
    if (cut === first.text.length) taken.shift();
    else first.text = first.text.slice(cut);
  }
  return { chunks: taken, hidden };
}
