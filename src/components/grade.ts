/**
 * Grading of a guided exercise's run (Exercise.astro). An exercise is one verified example whose
 * code ends with a check, below the line {@link CHECK_MARKER} marks: asserts that say what is
 * wrong, then a `print("PASS: …")`. The browser runs the reader's part followed by the original
 * check and a line that prints a per-run random token (exercise-check.ts), so the grade rests on
 * the check having run to its end, never on the exit status alone:
 *
 * - the token was printed and the exit status is 0: pass (the check's last printed line says what was checked);
 * - the token was printed but the program then failed (an `atexit` handler, a failed flush): not yet, naming the status;
 * - no token and an `AssertionError: message` as the last line of stderr: not yet, and the message says why;
 * - no token and any other ending (an exception the reader's code let escape, `sys.exit(n)`, even
 *   `sys.exit(0)` or `os._exit(0)`): not yet, naming it;
 * - a run that was stopped, killed or could not start: no grade.
 *
 * Pure functions, so the grading is tested in Node (tests/unit/quizzes-exercises.test.ts,
 * tests/integration/exercise-check.test.ts with the real runner) as well as in the browser
 * (tests/e2e/learning.test.ts).
 */
import type { ExampleFinishedDetail } from '../client/session.ts';

/** The comment line that separates the reader's part of an exercise from the check. */
export const CHECK_MARKER = /^# -{2,} check\b.*$/m;

/** The result of grading one run. */
export interface Grade {
  /** `pass` and `fail` are grades; `none` means the run did not finish (stopped, killed, failed to start). */
  kind: 'pass' | 'fail' | 'none';
  /** One sentence for the reader. */
  message: string;
}

function lastLine(text: string): string {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return lines[lines.length - 1] ?? '';
}

/** What {@link gradeRun} reads of a finished run (the `example:finished` event's detail). */
export type GradedRun = Pick<ExampleFinishedDetail, 'outcome' | 'stdout' | 'stderr'> & {
  /** The check's token was printed (exercise-check.ts): the check ran to its end. */
  checkCompleted: boolean;
  /** The reader's edited check was replaced by the original one for this run. */
  checkReplaced?: boolean;
};

/**
 * Grade a finished run of an exercise.
 * @param detail how the run ended, its output (token line removed) and whether the check completed.
 * @returns the grade and the sentence to show.
 */
export function gradeRun(detail: GradedRun): Grade {
  const grade = gradeOutcome(detail);
  if (detail.checkReplaced && grade.kind !== 'none') {
    grade.message += ' (Your changes below the check line were not used: the original check ran.)';
  }
  return grade;
}

function gradeOutcome(detail: GradedRun): Grade {
  const { outcome } = detail;
  if (outcome.kind !== 'done' || outcome.interrupted) {
    return { kind: 'none', message: 'The run did not finish, so the check did not run. Run it again to check your code.' };
  }
  const status = outcome.result.exitStatus;
  const last = lastLine(detail.stderr);
  if (detail.checkCompleted) {
    if (status === 0) {
      const said = lastLine(detail.stdout).replace(/^PASS:?\s*/, '');
      return { kind: 'pass', message: said ? `Pass: ${said}.`.replace(/\.\.$/, '.') : 'Pass.' };
    }
    const why = last ? ` with ${last}` : '';
    return { kind: 'fail', message: `Not yet: the check passed, but then the program ended${why} (exit status ${status}).` };
  }
  const assertion = /^AssertionError: (.+)$/.exec(last);
  if (assertion) return { kind: 'fail', message: `Not yet: ${assertion[1]}.`.replace(/\.\.$/, '.') };
  if (last) return { kind: 'fail', message: `Not yet: the run ended with ${last} (exit status ${status}) before the check could finish.` };
  return {
    kind: 'fail',
    message: `Not yet: the run ended with exit status ${status} before the check could finish${
      status === 0 ? ' (something ended the program early, such as sys.exit(0) or os._exit(0))' : ''
    }.`,
  };
}

/**
 * Split an exercise's code at the check marker.
 * @returns the reader's part and the check (marker line included), or null when there is no marker.
 */
export function splitExercise(code: string): { starter: string; check: string } | null {
  const match = CHECK_MARKER.exec(code);
  if (!match) return null;
  return { starter: code.slice(0, match.index), check: code.slice(match.index) };
}
