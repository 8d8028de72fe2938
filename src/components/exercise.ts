/**
 * Client script of Exercise.astro: grade each run of the exercise's example and say the grade in
 * the exercise's live region, in words ("Pass: …", "Not yet: …"), not by colour alone.
 *
 * The example itself keeps its usual controls (Run, Edit, Reset, Copy, Stop from
 * src/client/examples.ts); this script only listens for the `example:finished` event they
 * dispatch, so it loads nothing else. Runs of the reference solution are not graded.
 */
import { EXAMPLE_FINISHED } from '../client/events.ts';
import type { ExampleFinishedDetail } from '../client/session.ts';
import { gradeRun } from './grade.ts';

function setUp(exercise: HTMLElement): void {
  if (exercise.dataset.state) return; // already set up
  const task = exercise.querySelector<HTMLElement>('.exercise-task');
  const feedback = exercise.querySelector<HTMLElement>('.exercise-feedback');
  if (!task || !feedback) return;
  const howto = exercise.querySelector<HTMLElement>('.exercise-howto');
  if (howto) howto.hidden = false;
  task.addEventListener(EXAMPLE_FINISHED, (event) => {
    const detail = (event as CustomEvent<ExampleFinishedDetail>).detail;
    // A run without the check's token (checkCompleted null: not composed as an exercise run) never passes.
    const grade = gradeRun({ ...detail, checkCompleted: detail.checkCompleted ?? false });
    exercise.dataset.grade = grade.kind;
    feedback.textContent = grade.message;
  });
  exercise.dataset.state = 'ready';
}

/** Set up every exercise under `root`. */
export function initExercises(root: ParentNode = document): void {
  for (const exercise of root.querySelectorAll<HTMLElement>('[data-exercise]')) setUp(exercise);
}
