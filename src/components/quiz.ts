/**
 * Client script of Quiz.astro: hide each quiz's recorded output and explanation until the reader
 * commits to a guess, then reveal both and say whether the guess was right; "Try again" hides them
 * again and clears the guess, for another go.
 *
 * States, on the group's `data-state`: absent (no JavaScript: everything is visible), `pending`
 * (output, explanation and any live run hidden by CSS, choices enabled), `answered` (all
 * revealed, choices aria-disabled, "Try again" shown). The verdict and the reset are announced
 * through the quiz's live region (`.quiz-feedback`, role=status).
 */

function letter(index: number): string {
  return String.fromCharCode(65 + index);
}

function setUp(quiz: HTMLElement): void {
  if (quiz.dataset.state) return; // already set up (a page may run the script more than once)
  const answer = Number(quiz.dataset.answer);
  const choices = [...quiz.querySelectorAll<HTMLButtonElement>('.quiz-choice')];
  const skip = quiz.querySelector<HTMLButtonElement>('.quiz-skip');
  const retry = quiz.querySelector<HTMLButtonElement>('.quiz-retry');
  const feedback = quiz.querySelector<HTMLElement>('.quiz-feedback');
  const rightText = choices[answer]?.querySelector('.quiz-choice-text')?.textContent ?? '';

  /** `picked` null: revealed without a guess; `moveFocus` false when another control keeps focus. */
  const reveal = (picked: number | null, moveFocus = true): void => {
    if (quiz.dataset.state === 'answered') return;
    quiz.dataset.state = 'answered';
    for (const button of choices) button.setAttribute('aria-disabled', 'true');
    choices[answer]?.setAttribute('data-result', 'right');
    if (picked !== null && picked !== answer) choices[picked]?.setAttribute('data-result', 'wrong');
    if (picked !== null) choices[picked]?.setAttribute('aria-pressed', 'true');
    if (feedback) {
      const verdict =
        picked === null
          ? `The answer is ${letter(answer)}.`
          : picked === answer
            ? `Right: ${letter(answer)}.`
            : `Not quite: you picked ${letter(picked)}, the answer is ${letter(answer)}.`;
      feedback.textContent = `${verdict} The recorded output is now shown under the code, and the explanation below.`;
    }
    if (picked === null && moveFocus) {
      // The skip button disappears once answered: keep keyboard focus in the quiz.
      feedback?.setAttribute('tabindex', '-1');
      feedback?.focus();
    }
    quiz.dispatchEvent(new CustomEvent('quiz:answered', { bubbles: true, detail: { picked, answer, rightText } }));
  };

  /** Back to `pending`: the guess cleared, the output hidden again, focus on the first choice. */
  const reset = (): void => {
    if (quiz.dataset.state !== 'answered') return;
    quiz.dataset.state = 'pending';
    for (const button of choices) {
      button.removeAttribute('aria-disabled');
      button.removeAttribute('data-result');
      button.setAttribute('aria-pressed', 'false');
    }
    feedback?.removeAttribute('tabindex');
    if (feedback) feedback.textContent = 'Try again: the output is hidden until you pick an answer.';
    // The Try again button is hidden now: keep keyboard focus in the quiz, on the first answer.
    choices[0]?.focus();
    quiz.dispatchEvent(new CustomEvent('quiz:reset', { bubbles: true }));
  };

  choices.forEach((button, index) => {
    button.disabled = false;
    button.setAttribute('aria-pressed', 'false');
    button.addEventListener('click', () => reveal(index));
  });
  if (skip) {
    skip.disabled = false;
    skip.addEventListener('click', () => reveal(null));
  }
  if (retry) {
    retry.disabled = false;
    retry.addEventListener('click', reset);
  }
  // The example's Run button (src/client/examples.ts) shows a live output anyway: running the code
  // counts as choosing to see the answer, so reveal the recorded output too, leaving focus on it.
  // Step (src/client/stepper.ts) shows the output step by step: it counts alike.
  // Edit and Copy reveal nothing.
  const example = quiz.querySelector('.quiz-example');
  example?.addEventListener('click', (event) => {
    const target = event.target as Element | null;
    if (target?.closest('.example-controls :is(.example-run-button, .example-step-button)')) reveal(null, false);
  });
  // A run started another way (Ctrl+Enter in the editor) reveals it too, as soon as its panel
  // (src/client/session.ts) says it is running: CSS hides a run while the quiz is pending.
  if (example) {
    new MutationObserver(() => {
      if (quiz.dataset.state === 'pending' && example.querySelector('.example-run[data-state="running"]')) reveal(null, false);
    }).observe(example, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
  }
  quiz.dataset.state = 'pending';
}

/** Set up every quiz on the page. */
export function initQuizzes(root: ParentNode = document): void {
  for (const quiz of root.querySelectorAll<HTMLElement>('[data-quiz]')) setUp(quiz);
}
