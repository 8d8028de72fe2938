/** stepper-output.ts: the output before a step, by UTF-16 offset over both streams, cut to its end. */
import { expect, test } from 'vitest';
import { outputBefore } from '../../src/client/stepper-output.ts';
import type { OutputChunk } from '../../src/examples/output.ts';

const chunks: OutputChunk[] = [
  { stream: 'stdout', text: 'one\n' },
  { stream: 'stdout', text: 'two\n' },
  { stream: 'stderr', text: 'err\n' },
  { stream: 'stdout', text: 'é😀\n' },
];

test('the offset counts code units over both streams in the order written; pieces of one stream merge', () => {
  expect(outputBefore(chunks, 0)).toEqual({ chunks: [], hidden: 0 });
  expect(outputBefore(chunks, 6).chunks).toEqual([{ stream: 'stdout', text: 'one\ntw' }]);
  expect(outputBefore(chunks, 10).chunks).toEqual([
    { stream: 'stdout', text: 'one\ntwo\n' },
    { stream: 'stderr', text: 'er' },
  ]);
  // 'é😀\n' is 4 UTF-16 code units (the emoji is a surrogate pair).
  expect(outputBefore(chunks, 12 + 4).chunks.at(-1)).toEqual({ stream: 'stdout', text: 'é😀\n' });
});

test('an offset past the end gives everything; a negative one nothing', () => {
  expect(
    outputBefore(chunks, 1e9)
      .chunks.map((c) => c.text)
      .join(''),
  ).toBe('one\ntwo\nerr\né😀\n');
  expect(outputBefore(chunks, -5).chunks).toEqual([]);
});

test('past the limit, the earliest characters are left out and counted', () => {
  const { chunks: shown, hidden } = outputBefore(chunks, 12, 5);
  expect(shown).toEqual([
    { stream: 'stdout', text: '\n' },
    { stream: 'stderr', text: 'err\n' },
  ]);
  expect(hidden).toBe(7);
  const input = chunks.map((c) => ({ ...c }));
  outputBefore(input, 12, 5);
  expect(input).toEqual(chunks);
});
