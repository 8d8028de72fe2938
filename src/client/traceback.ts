/**
 * Where a traceback points in the example: the last `File "example.py", line N` of the run's
 * stderr (the innermost frame of the example's own code in the last traceback printed, or the
 * line of a SyntaxError), with the exception line that ends the traceback. The editor marks
 * that line, as the Go playground marks the failing line.
 *
 * Format: CPython's traceback module ("Traceback (most recent call last):", one `File "…", line N,
 * in name` line per frame, the exception last); https://docs.python.org/3/library/traceback.html.
 */

/** The file name the runner gives every example (runner.py `FILENAME`). */
export const EXAMPLE_FILENAME = 'example.py';

/** A line of the example that a traceback points at. */
export interface TracebackLine {
  /** 1-based line number in the example's code. */
  line: number;
  /** The last non-empty line of stderr, e.g. `NameError: name 'y' is not defined`. */
  error: string;
}

/**
 * Find the example line the traceback in `stderr` points at.
 * @param stderr everything the run wrote to stderr (text).
 * @returns the line and the error, or null when stderr shows no frame of the example.
 */
export function tracebackLine(stderr: string): TracebackLine | null {
  const frame = /^ {2}File "example\.py", line (\d+)/gm;
  let line: number | null = null;
  for (const match of stderr.matchAll(frame)) line = Number(match[1]);
  if (line === null) return null;
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  return { line, error: lines[lines.length - 1]!.trim() };
}
