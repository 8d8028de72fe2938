/**
 * Client script of Quiz.astro: hide each quiz's recorded output and explanation until the reader
 * commits to a guess, then reveal both and say whether the guess was right.
 *
 * States, on the section's `data-state`: absent (no JavaScript: everything is visible), `pending`
 * (output and explanation hidden by CSS, choices enabled), `answered` (all revealed).
 */

function letter(index: number): string {
  return String.fromCharCode(65 + index);
}

function setUp(quiz: HTMLElement): void {
  if (quiz.dataset.state) return; // already set up (a page may run the script more than once)
  const answer = Number(quiz.dataset.answer);
  const choices = [...quiz.querySelectorAll<HTMLButtonElement>('.quiz-choice')];
  const skip = quiz.querySelector<HTMLButtonElement>('.quiz-skip');
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

  choices.forEach((button, index) => {
    button.disabled = false;
    button.setAttribute('aria-pressed', 'false');
    button.addEventListener('click', () => reveal(index));
  });
  if (skip) {
    skip.disabled = false;
    skip.addEventListener('click', () => reveal(null));
  }
  // The example's Run button (src/client/examples.ts) shows a live output anyway: running the code
  // counts as choosing to see the answer, so reveal the recorded output too, leaving focus on it.
  // Edit and Copy reveal nothing.
  quiz.querySelector('.quiz-example')?.addEventListener('click', (event) => {
    const target = event.target as Element | null;
    if (target?.closest('.example-controls .example-run-button')) reveal(null, false);
  });
  quiz.dataset.state = 'pending';
}

/** Set up every quiz on the page. */
export function initQuizzes(root: ParentNode = document): void {
  for (const quiz of root.querySelectorAll<HTMLElement>('[data-quiz]')) setUp(quiz);
}
