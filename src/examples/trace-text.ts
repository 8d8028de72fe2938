/**
 * The sentence the stepper shows for each event of a trace (issue 14): what moved control, in
 * words ("exception ZeroDivisionError raised here", "leaving the try block by return: finally
 * runs first", "finally done: the exception continues", "return value replaced by finally",
 * "generator closed: GeneratorExit at the yield", "atexit handler runs", "SystemExit raised:
 * exit status 1").
 *
 * Pure and isomorphic (the browser stepper imports it). The texts come from the events
 * (trace-types.ts; `sys.monitoring` as tracer.py records it) and from the block's structure,
 * which the tracer read with Python's `ast` (`Trace.structure`), never from scanning the source.
 * CPython's order of events is the one the language reference describes for the `try`
 * statement ("The try statement", Doc/reference/compound_stmts.rst): a `finally` clause runs on
 * the way out of the `try`, `except` and `else` blocks, whatever leaves them; a `return`,
 * `break` or `continue` in it discards the saved exception, and its `return` replaces the
 * saved return value.
 */
import type { Trace, TraceEvent, TraceTry } from './trace-types.ts';

/** Which part of a `try` statement a line is in. */
type Part = { tr: TraceTry; part: 'try' | 'except' | 'else' | 'finally'; handler?: TraceTry['handlers'][number] };

/** What is known of one frame while reading the events in order. */
interface FrameState {
  lastLine: number | null;
  /** The exception in flight in this frame (raised, not yet caught or discarded). */
  exception: string | null;
  /** The finally the frame entered by a `return` (its return value is saved meanwhile). */
  returnPending: TraceTry | null;
  yielded: boolean;
}

const cache = new WeakMap<Trace, string[]>();

const within = (line: number, range: [number, number] | null) => range !== null && line >= range[0] && line <= range[1];

/** The innermost `try` part holding `line`, or null. */
function partOf(trace: Trace, line: number | null): Part | null {
  if (line === null) return null;
  let best: Part | null = null;
  let size = Number.POSITIVE_INFINITY;
  const consider = (candidate: Part, range: [number, number]) => {
    if (within(line, range) && range[1] - range[0] < size) {
      best = candidate;
      size = range[1] - range[0];
    }
  };
  for (const tr of trace.structure?.tries ?? []) {
    // The `try:` line itself belongs to the try block.
    consider({ tr, part: 'try' }, [tr.line, tr.body[1]]);
    for (const handler of tr.handlers) consider({ tr, part: 'except', handler }, [handler.line, handler.end]);
    if (tr.orelse) consider({ tr, part: 'else' }, tr.orelse);
    if (tr.finalbody) consider({ tr, part: 'finally' }, tr.finalbody);
  }
  return best;
}

/** The jump statement (`return`, `break`, `continue`, `raise`) on `line`, if any. */
function jumpAt(trace: Trace, line: number | null): string | undefined {
  return line === null ? undefined : trace.structure?.jumps.find((jump) => jump.line === line)?.kind;
}

const isMarker = (event: TraceEvent) => event.kind === 'atexit' || event.kind === 'finalize';
const sameFrame = (a: TraceEvent, b: TraceEvent) => (a.frame ?? a.function) === (b.frame ?? b.function);
const block = (part: Part['part']) => `${part} block`;
const exceptName = (part: Part) => (part.handler?.type ? `except ${part.handler.type}` : 'except');

/** The text of every event of `trace`, in order (computed once per trace object). */
function describeAll(trace: Trace): string[] {
  const cached = cache.get(trace);
  if (cached) return cached;
  const frames = new Map<number | string, FrameState>();
  const texts: string[] = [];
  const { events } = trace;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    if (isMarker(event)) {
      texts.push(
        event.kind === 'atexit' ? 'the script ended: atexit handler runs' : 'interpreter finalization: what is left is cleaned up',
      );
      continue;
    }
    const key = event.frame ?? event.function;
    let state = frames.get(key);
    const firstInFrame = !state;
    if (!state) {
      state = { lastLine: null, exception: null, returnPending: null, yielded: false };
      frames.set(key, state);
    }
    const previous = events[i - 1];
    texts.push(describeOne(trace, events, i, state, firstInFrame, previous));
  }
  cache.set(trace, texts);
  return texts;
}

function describeOne(
  trace: Trace,
  events: TraceEvent[],
  i: number,
  state: FrameState,
  firstInFrame: boolean,
  previous: TraceEvent | undefined,
): string {
  const event = events[i]!;
  const fn = event.function;
  const exc = event.exception ?? 'the exception';
  switch (event.kind) {
    case 'line': {
      const text = describeLine(trace, events, i, state, firstInFrame, previous);
      state.lastLine = event.line;
      return text;
    }
    case 'raise': {
      const propagated = previous?.kind === 'unwind' && !sameFrame(previous, event);
      state.exception = exc;
      if (event.exception === 'SystemExit' && !propagated) return `SystemExit raised: exit status ${event.exitStatus ?? 1}`;
      if (event.exception === 'GeneratorExit' && state.yielded && state.lastLine === event.line) {
        return 'generator closed: GeneratorExit at the yield';
      }
      if (propagated) return `exception ${exc} from ${previous!.function} arrives here, at line ${event.line}`;
      return `exception ${exc} raised here`;
    }
    case 'handled':
      return `exception ${exc}: looking for a matching except clause`;
    case 'reraise': {
      state.exception = exc;
      const part = partOf(trace, event.line);
      if (part?.part === 'finally') return `finally done: the exception ${exc} continues`;
      if (part?.part === 'except' && part.handler?.line === event.line) return `no except clause matches: the exception ${exc} continues`;
      return `exception ${exc} re-raised`;
    }
    case 'return': {
      const text = describeReturn(trace, event, state);
      state.exception = null;
      state.returnPending = null;
      return text;
    }
    case 'yield':
      state.yielded = true;
      return `${fn} yields ${event.value ?? 'a value'}: it pauses here until it is resumed`;
    case 'unwind':
      state.exception = null;
      if (event.exception === 'GeneratorExit') return `generator ${fn} closed`;
      if (fn === '<module>') {
        return event.exception === 'SystemExit' ? 'SystemExit ends the script' : `the exception ${exc} ends the script`;
      }
      return `${fn} ends by the exception ${exc}, which goes on in its caller`;
    default:
      return event.kind;
  }
}

function describeLine(
  trace: Trace,
  events: TraceEvent[],
  i: number,
  state: FrameState,
  firstInFrame: boolean,
  previous: TraceEvent | undefined,
): string {
  const event = events[i]!;
  const line = event.line;
  const before = state.lastLine;
  const here = partOf(trace, line);
  const from = partOf(trace, before);
  const jump = jumpAt(trace, before);
  // Entering a finally block from its own try statement.
  if (
    here?.part === 'finally' &&
    before !== null &&
    before >= here.tr.line &&
    before <= here.tr.end &&
    !within(before, here.tr.finalbody)
  ) {
    const where = from && from.tr === here.tr ? block(from.part) : 'try block';
    if (state.exception) return `leaving the ${where} by exception ${state.exception}: finally runs first`;
    if (jump === 'return' || jump === 'break' || jump === 'continue') {
      if (jump === 'return') state.returnPending = here.tr;
      return `leaving the ${where} by ${jump}: finally runs first`;
    }
    return `${where} done: finally runs`;
  }
  // Leaving a finally block by a jump while an exception was in flight: the exception is gone.
  if (from?.part === 'finally' && !within(line, from.tr.finalbody) && state.exception && (jump === 'break' || jump === 'continue')) {
    const lost = state.exception;
    state.exception = null;
    return `${jump} in finally: the exception ${lost} is discarded; line ${line} runs`;
  }
  if (here?.part === 'except' && here.handler) {
    if (line === here.handler.line) {
      // Whether the clause matches shows in the frame's next event: its body runs, or not.
      const next = events.slice(i + 1).find((e) => sameFrame(e, event) && !isMarker(e));
      const matches = next?.kind === 'line' && next.line > line && next.line <= here.handler.end;
      return matches
        ? `${exceptName(here)} matches ${state.exception ?? 'the exception'}`
        : `${exceptName(here)} does not match ${state.exception ?? 'the exception'}`;
    }
    if (before === here.handler.line) {
      const caught = state.exception;
      state.exception = null;
      return `the exception ${caught ?? ''} is caught: the except block runs`.replace('  ', ' ');
    }
  }
  if (here?.part === 'else' && line === here.tr.orelse?.[0] && from?.tr === here.tr && from.part === 'try') {
    return 'no exception in the try block: else runs';
  }
  if (firstInFrame) return event.function === '<module>' ? `the script starts at line ${line}` : `${event.function} starts: line ${line}`;
  if (here?.part === 'try' && line === here.tr.line) return 'entering the try block';
  if (previous && !sameFrame(previous, event) && (previous.kind === 'return' || previous.kind === 'yield')) {
    return `back in ${event.function}: line ${line}`;
  }
  if (previous && !sameFrame(previous, event) && !isMarker(previous) && state.lastLine !== null && previous.kind === 'line') {
    return `${event.function} resumes: line ${line}`;
  }
  return `line ${line}`;
}

function describeReturn(trace: Trace, event: TraceEvent, state: FrameState): string {
  const fn = event.function;
  const value = event.value ?? 'None';
  if (fn === '<module>') return 'the script ends';
  const part = partOf(trace, event.line);
  const inFinally = part?.part === 'finally';
  if (inFinally && jumpAt(trace, event.line) === 'return') {
    if (state.exception) return `return in finally: the exception ${state.exception} is discarded; ${fn} returns ${value}`;
    if (state.returnPending) return `return value replaced by finally: ${fn} returns ${value}`;
  }
  if (inFinally && state.returnPending) return `finally done: ${fn} returns ${value}, saved before finally ran`;
  if (state.yielded) return `generator ${fn} finished (StopIteration)`;
  return `${fn} returns ${value}`;
}

/**
 * The sentence for event `index` of `trace` (what the stepper announces for that step).
 *
 * @param trace a trace from `RunResult.trace` (runner.ts), with its `structure` when the block
 *   compiled; texts about `try` statements need it.
 * @param index 0-based index into `trace.events`.
 * @param _source the block's source; unused: the structure the texts need is `trace.structure`
 *   (read by the tracer with `ast`). Kept in the signature so callers need not change if a text
 *   ever quotes the line.
 * @returns one sentence, without a final period (e.g. `exception ZeroDivisionError raised here`).
 * @throws RangeError when `index` is outside `trace.events`.
 */
export function describeEvent(trace: Trace, index: number, _source?: string): string {
  if (!Number.isInteger(index) || index < 0 || index >= trace.events.length) {
    throw new RangeError(`event ${index} of a trace of ${trace.events.length} events`);
  }
  return describeAll(trace)[index]!;
}
