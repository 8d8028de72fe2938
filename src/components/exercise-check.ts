/**
 * Proof that an exercise's check ran to its end (Exercise.astro, grade.ts).
 *
 * An exit status says nothing about the check: `sys.exit(0)` at the top of the reader's code, or
 * replacing the code with `print("PASS: …")`, ends with status 0 and the right-looking text. So the
 * browser does not run the editor's text as it is. For each run of an exercise's starter it
 *
 * 1. takes the reader's part of the edited code (everything above the check marker; all of it when
 *    the marker was deleted),
 * 2. appends the exercise's own check, as built into the page (`data-code`, the verified code), so
 *    that an edited or deleted check is replaced by the original, and
 * 3. appends one line, after the check, that writes a per-run random token (128 bits from
 *    `crypto.getRandomValues`) to stdout.
 *
 * That line runs only when every line of the check above it ran without raising or exiting, so the
 * token in the output proves the check ran to its end. The token is new for every run and is not in
 * the editor or on the page, so the reader's code cannot print it (code that reads its own script
 * file or rewires the interpreter could still fake it: the grade is a learning aid, not an exam).
 * The page removes the token's line from what it shows ({@link TokenFilter}) and grades from it.
 *
 * At build time nothing of this runs: `npm run verify` runs the starter and the solution exactly as
 * written, so their recorded outputs stay verified, and the token line comes after the last line
 * of a check, where it cannot change what the check printed. tests/integration/exercise-check.test.ts
 * runs every exercise of content/ composed this way through the real runner: the solution passes,
 * the starter and the bypasses do not.
 */
import { splitExercise } from './grade.ts';

/**
 * First characters of every token: U+2063 (INVISIBLE SEPARATOR), which no example prints, so the
 * filter only looks for a token where that character is.
 */
export const TOKEN_PREFIX = '\u2063exercise-check-completed:';

/**
 * A new random token for one run.
 * @returns {@link TOKEN_PREFIX} followed by 32 lowercase hex digits (128 bits from the platform's CSPRNG).
 */
export function newCheckToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return TOKEN_PREFIX + [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The code to run for one graded run, and whether the reader's check was replaced by the original. */
export interface CheckedRun {
  /** The reader's part, the original check, then the token line; ends with a newline. */
  code: string;
  /** True when the edited text's check (or its marker) differs from the original check. */
  checkReplaced: boolean;
}

/**
 * Compose the code of a graded run.
 * @param edited the editor's text (or the original code when it was not edited).
 * @param original the exercise's code as built into the page (the verified starter, with its check).
 * @param token from {@link newCheckToken}.
 * @returns the code to run, or null when `original` has no check marker (not an exercise).
 */
export function composeCheckedRun(edited: string, original: string, token: string): CheckedRun | null {
  const check = splitExercise(original)?.check;
  if (check === undefined) return null;
  const parts = splitExercise(edited);
  let reader = parts ? parts.starter : edited;
  if (reader !== '' && !reader.endsWith('\n')) reader += '\n';
  const body = check.endsWith('\n') ? check : `${check}\n`;
  // JSON string syntax is valid Python string syntax for these characters (hex digits, ASCII, \u2063, \n).
  const line = `__import__("sys").__stdout__.write(${JSON.stringify(`${token}\n`)}); __import__("sys").__stdout__.flush()\n`;
  // Trailing blank lines do not count as an edit of the check.
  return { code: reader + body + line, checkReplaced: parts?.check.trimEnd() !== check.trimEnd() };
}

/**
 * Removes the token's line from a stdout stream fed in pieces, as they arrive, and tells whether it
 * was seen. A token split across pieces is held back until it is whole (or proves not to be one).
 */
export class TokenFilter {
  /** True once `token + "\n"` went through. */
  found = false;
  private held = '';
  private readonly target: string;

  /** @param token from {@link newCheckToken}. */
  constructor(token: string) {
    this.target = `${token}\n`;
  }

  /**
   * Feed the next piece of stdout.
   * @returns the text to show now (the piece minus the token line, minus a possible token start held back).
   */
  push(text: string): string {
    let buffer = this.held + text;
    this.held = '';
    const at = buffer.indexOf(this.target);
    if (at >= 0) {
      this.found = true;
      buffer = buffer.slice(0, at) + buffer.slice(at + this.target.length);
    }
    // A token's start can only be held at the last U+2063 within the last target-length characters.
    const start = buffer.lastIndexOf(TOKEN_PREFIX[0]!);
    if (start >= 0 && buffer.length - start < this.target.length && this.target.startsWith(buffer.slice(start))) {
      this.held = buffer.slice(start);
      return buffer.slice(0, start);
    }
    return buffer;
  }

  /** @returns whatever was held back at the end of the stream (an unfinished token start). */
  end(): string {
    const rest = this.held;
    this.held = '';
    return rest;
  }
}
