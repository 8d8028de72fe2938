/**
 * The shape of a control-flow trace: what the runner records when a block runs with
 * `RunOptions.trace` (issue 14), what the Step button shows and what a `trace` fence records.
 * Shared by the runner (src/examples/runner.ts, tracer.py), the verifier and the browser
 * stepper, so that each side can be built against it.
 *
 * Events come from `sys.monitoring` (PEP 669, Python 3.12+; "sys.monitoring — Execution event
 * monitoring" in the library reference), restricted to the example's own code objects
 * (`example.py`): LINE, RAISE, RERAISE, EXCEPTION_HANDLED, PY_RETURN, PY_YIELD, PY_UNWIND; plus
 * the runner's own phase markers (atexit handlers, finalization).
 */

/** What moved control, as `sys.monitoring` reports it (`line` … `unwind`), or a runner phase. */
export type TraceEventKind =
  /** LINE: a new line is about to run. */
  | 'line'
  /** RAISE: an exception was raised (or propagated into this frame). */
  | 'raise'
  /** RERAISE: an exception was re-raised (end of a `finally` or `with` that did not swallow it). */
  | 'reraise'
  /** EXCEPTION_HANDLED: an `except` clause caught the exception. */
  | 'handled'
  /** PY_RETURN: a function of the example returned (value in `value`). */
  | 'return'
  /** PY_YIELD: a generator or coroutine of the example yielded (value in `value`). */
  | 'yield'
  /** PY_UNWIND: a frame was left by an exception. */
  | 'unwind'
  /** The script ended; atexit callbacks run from here (Py_FinalizeEx's `_PyAtExit_Call`). */
  | 'atexit'
  /** Atexit callbacks are done; interpreter finalization runs from here (e.g. a generator's `finally` at exit). */
  | 'finalize';

/** One recorded event. */
export interface TraceEvent {
  kind: TraceEventKind;
  /** 1-based line of example.py the event happened at (0 for `atexit`/`finalize` markers). */
  line: number;
  /** Qualified name of the code object (`<module>`, `f`, `Resource.__exit__`, `gen`). */
  function: string;
  /** Exception class name for `raise`, `reraise`, `handled`, `unwind` (e.g. `ZeroDivisionError`). */
  exception?: string;
  /**
   * `repr()` of the returned/yielded value for `return` and `yield`, cut to 200 characters. The
   * example's own `__repr__` is never called (it could print or raise): its objects show as
   * `<Name object>`.
   */
  value?: string;
  /**
   * Which frame the event happened in: frames are numbered from 1 in the order they first report
   * an event (a generator keeps its number across yields), so two calls of one function (recursion,
   * two generators of one function) are told apart. Absent on `atexit`/`finalize` markers.
   */
  frame?: number;
  /** For a `raise` of SystemExit: the exit status it gives (`None` 0, an int its low byte, anything else 1). */
  exitStatus?: number;
  /**
   * How much output came before this event: UTF-16 code units of the run's output chunks
   * (stdout and stderr, in the order written) produced before it. The stepper shows the output
   * up to this offset.
   */
  outputOffset: number;
}

/** A block's trace. */
export interface Trace {
  /** Events in the order they happened (at most {@link MAX_TRACE_EVENTS}). */
  events: TraceEvent[];
  /** Why tracing stopped before the block ended (too many events, time limit), else null. */
  truncated: string | null;
  /**
   * What the events alone cannot say, read with Python's `ast` from the block's source by the
   * tracer: its `try` statements and jump statements. Absent when the block did not compile.
   */
  structure?: TraceStructure;
}

/** An inclusive range of 1-based lines `[first, last]`. */
export type LineRange = [number, number];

/** One `try` statement of the block (`ast.Try` or `ast.TryStar`). */
export interface TraceTry {
  /** Line of the `try` keyword. */
  line: number;
  /** Last line of the whole statement. */
  end: number;
  /** The `try` block. */
  body: LineRange;
  /** The `except` clauses in order: the line of the `except` keyword, the clause's last line, and the exception expression as written (`ZeroDivisionError`, `(KeyError, ValueError)`), null for a bare `except:`. */
  handlers: { line: number; end: number; type: string | null }[];
  /** The `else` block, or null. */
  orelse: LineRange | null;
  /** The `finally` block, or null. */
  finalbody: LineRange | null;
}

/** The block's source structure (see {@link Trace.structure}). */
export interface TraceStructure {
  /** Every `try` statement, by line. At most {@link MAX_TRACE_TRIES}. */
  tries: TraceTry[];
  /** The lines of `return`, `break`, `continue` and `raise` statements, by line. */
  jumps: { line: number; kind: 'return' | 'break' | 'continue' | 'raise' }[];
}

/** Most `try` statements listed in {@link TraceStructure.tries}. */
export const MAX_TRACE_TRIES = 1000;

/** Most line events recorded per run; tracing stops with a note beyond (issue 14). */
export const MAX_TRACE_EVENTS = 10_000;
