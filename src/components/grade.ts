/**
 * Grading of a guided exercise's run (Exercise.astro). An exercise is one verified example whose
 * code ends with a check, below the line {@link CHECK_MARKER} marks: asserts that say what is
 * wrong, then a `print("PASS: …")`. The check is ordinary Python run by the same runtime as the
 * reader's code, so the grade only reads how the run ended:
 *
 * - exit status 0: pass (the check's last printed line says what was checked);
 * - an `AssertionError: message` as the last line of stderr: not yet, and the message says why;
 * - any other ending (an exception the reader's code let escape, `sys.exit(n)`): not yet, naming it;
 * - a run that was stopped, killed or could not start: no grade.
 *
 * Pure functions, so the grading is tested in Node (tests/unit/quizzes-exercises.test.ts) as well as in the
 * browser (tests/e2e/learning.test.ts).
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

/**
 * Grade a finished run of an exercise.
 * @param detail the `example:finished` event's detail (outcome and output text).
 * @returns the grade and the sentence to show.
 */
export function gradeRun(detail: Pick<ExampleFinishedDetail, 'outcome' | 'stdout' | 'stderr'>): Grade {
  const { outcome } = detail;
  if (outcome.kind !== 'done' || outcome.interrupted) {
    return { kind: 'none', message: 'The run did not finish, so the check did not run. Run it again to check your code.' };
  }
  if (outcome.result.exitStatus === 0) {
    const said = lastLine(detail.stdout).replace(/^PASS:?\s*/, '');
    return { kind: 'pass', message: said ? `Pass: ${said}.`.replace(/\.\.$/, '.') : 'Pass.' };
  }
  const last = lastLine(detail.stderr);
  const assertion = /^AssertionError: (.+)$/.exec(last);
  if (assertion) return { kind: 'fail', message: `Not yet: ${assertion[1]}.`.replace(/\.\.$/, '.') };
  if (last)
    return {
      kind: 'fail',
      message: `Not yet: the run ended with ${last} (exit status ${outcome.result.exitStatus}) before the check could finish.`,
    };
  return { kind: 'fail', message: `Not yet: the run ended with exit status ${outcome.result.exitStatus} before the check could finish.` };
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
