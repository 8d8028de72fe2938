/**
 * Check a trace (trace-types.ts) that came from elsewhere: the browser page receives it from the
 * runner frame, whose worker runs the reader's code, so it is untrusted data like the rest of a
 * `done` message (src/client/frame-protocol.ts).
 */
import {
  type LineRange,
  MAX_TRACE_EVENTS,
  MAX_TRACE_TRIES,
  type Trace,
  type TraceEvent,
  type TraceEventKind,
  type TraceStructure,
  type TraceTry,
} from './trace-types.ts';

/** Longest name, value or note kept, in UTF-16 code units (the tracer cuts them to 200). */
export const MAX_TRACE_TEXT = 256;
/** Most jump statements and `except` clauses accepted in a trace's structure. */
export const MAX_TRACE_JUMPS = 100_000;

const KINDS: ReadonlySet<string> = new Set<TraceEventKind>([
  'line',
  'raise',
  'reraise',
  'handled',
  'return',
  'yield',
  'unwind',
  'atexit',
  'finalize',
]);
const JUMPS: ReadonlySet<string> = new Set(['return', 'break', 'continue', 'raise']);

type Fields = Record<string, unknown>;
const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
/** A line number: 0 (markers) to 10^7. */
const isLine = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= 1e7;
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const cut = (value: string) => value.slice(0, MAX_TRACE_TEXT);

function parseEvent(value: unknown): TraceEvent | null {
  if (!isObject(value)) return null;
  const { kind, line, function: fn, outputOffset, exception, value: shown, frame, exitStatus } = value;
  if (typeof kind !== 'string' || !KINDS.has(kind) || !isLine(line) || typeof fn !== 'string' || !isCount(outputOffset)) return null;
  const event: TraceEvent = { kind: kind as TraceEventKind, line, function: cut(fn), outputOffset };
  if (exception !== undefined) {
    if (typeof exception !== 'string') return null;
    event.exception = cut(exception);
  }
  if (shown !== undefined) {
    if (typeof shown !== 'string') return null;
    event.value = cut(shown);
  }
  if (frame !== undefined) {
    if (!isCount(frame)) return null;
    event.frame = frame;
  }
  if (exitStatus !== undefined) {
    if (!Number.isInteger(exitStatus) || (exitStatus as number) < 0 || (exitStatus as number) > 255) return null;
    event.exitStatus = exitStatus as number;
  }
  return event;
}

function parseRange(value: unknown): LineRange | null {
  return Array.isArray(value) && value.length === 2 && isLine(value[0]) && isLine(value[1]) ? [value[0], value[1]] : null;
}

function parseStructure(value: unknown): TraceStructure | null {
  if (!isObject(value) || !Array.isArray(value.tries) || !Array.isArray(value.jumps)) return null;
  if (value.tries.length > MAX_TRACE_TRIES || value.jumps.length > MAX_TRACE_JUMPS) return null;
  const tries: TraceTry[] = [];
  let handlers = 0;
  for (const t of value.tries) {
    if (!isObject(t) || !isLine(t.line) || !isLine(t.end) || !Array.isArray(t.handlers)) return null;
    const body = parseRange(t.body);
    const orelse = t.orelse === null ? null : parseRange(t.orelse);
    const finalbody = t.finalbody === null ? null : parseRange(t.finalbody);
    if (!body || (t.orelse !== null && !orelse) || (t.finalbody !== null && !finalbody)) return null;
    handlers += t.handlers.length;
    if (handlers > MAX_TRACE_JUMPS) return null;
    const parsed: TraceTry['handlers'] = [];
    for (const h of t.handlers) {
      if (!isObject(h) || !isLine(h.line) || !isLine(h.end) || (h.type !== null && typeof h.type !== 'string')) return null;
      parsed.push({ line: h.line, end: h.end, type: h.type === null ? null : cut(h.type as string) });
    }
    tries.push({ line: t.line, end: t.end, body, handlers: parsed, orelse, finalbody });
  }
  const jumps: TraceStructure['jumps'] = [];
  for (const j of value.jumps) {
    if (!isObject(j) || !isLine(j.line) || typeof j.kind !== 'string' || !JUMPS.has(j.kind)) return null;
    jumps.push({ line: j.line, kind: j.kind as TraceStructure['jumps'][number]['kind'] });
  }
  return { tries, jumps };
}

/**
 * Rebuild a {@link Trace} from untrusted data.
 *
 * @param value any value (e.g. the `trace` field of a `done` message after structured cloning).
 * @returns a fresh Trace holding only the contract's fields, or null when a field has the wrong
 *   type or is out of range: more than {@link MAX_TRACE_EVENTS} + 2 events (the tracer's limit
 *   plus its two phase markers), an unknown event kind, a line outside 0–10^7, a negative or
 *   fractional offset, an exit status outside 0–255, more than `MAX_TRACE_TRIES` try statements
 *   or {@link MAX_TRACE_JUMPS} jumps or `except` clauses. Strings are cut to
 *   {@link MAX_TRACE_TEXT} code units. Never throws on plain data.
 */
export function parseTrace(value: unknown): Trace | null {
  if (!isObject(value) || !Array.isArray(value.events) || value.events.length > MAX_TRACE_EVENTS + 2) return null;
  const { truncated } = value;
  if (truncated !== null && typeof truncated !== 'string') return null;
  const events: TraceEvent[] = [];
  for (const item of value.events) {
    const event = parseEvent(item);
    if (!event) return null;
    events.push(event);
  }
  const trace: Trace = { events, truncated: truncated === null ? null : cut(truncated) };
  if (value.structure !== undefined) {
    const structure = parseStructure(value.structure);
    if (!structure) return null;
    trace.structure = structure;
  }
  return trace;
}
