/** chunk-batch.ts: writes merged in order, posted by age and size, nothing lost at flush. */
import { expect, test } from 'vitest';
import { BATCH_CHARS, BATCH_MS, chunkBatcher, IMMEDIATE_POSTS } from '../../src/client/chunk-batch.ts';
import type { OutputChunk } from '../../src/examples/output.ts';

function harness() {
  let clock = 0;
  const posted: OutputChunk[] = [];
  const batcher = chunkBatcher(
    (chunk) => posted.push(chunk),
    () => clock,
  );
  return { batcher, posted, tick: (ms: number) => (clock += ms) };
}

test('a few writes are posted as they come: a line printed before a long computation shows at once', () => {
  const { batcher, posted } = harness();
  batcher.push({ stream: 'stdout', text: 'looping\n' });
  expect(posted).toEqual([{ stream: 'stdout', text: 'looping\n' }]);
  for (let i = 1; i < IMMEDIATE_POSTS; i++) batcher.push({ stream: 'stderr', text: `${i}\n` });
  expect(posted).toHaveLength(IMMEDIATE_POSTS);
});

test('past that rate, writes are merged in order until the window is over, and flush posts the rest', () => {
  const { batcher, posted, tick } = harness();
  for (let i = 0; i < IMMEDIATE_POSTS; i++) batcher.push({ stream: 'stdout', text: 'x' });
  posted.length = 0;
  for (const text of ['a\n', 'b\n']) batcher.push({ stream: 'stdout', text });
  batcher.push({ stream: 'stderr', text: 'err\n' });
  batcher.push({ stream: 'stdout', text: 'c' });
  expect(posted).toEqual([]);
  tick(BATCH_MS);
  batcher.push({ stream: 'stdout', text: 'd' });
  expect(posted).toEqual([
    { stream: 'stdout', text: 'a\nb\n' },
    { stream: 'stderr', text: 'err\n' },
    { stream: 'stdout', text: 'cd' },
  ]);
  batcher.push({ stream: 'stdout', text: 'x'.repeat(BATCH_CHARS) });
  batcher.flush();
  expect(posted.map((c) => c.text).join('').length).toBe('a\nb\nerr\ncd'.length + BATCH_CHARS);
  const count = posted.length;
  batcher.flush();
  expect(posted).toHaveLength(count); // nothing was waiting
});

test('200,000 writes over 2 s become at most IMMEDIATE_POSTS + 1 messages a window, and every character arrives', () => {
  const { batcher, posted, tick } = harness();
  let expected = '';
  for (let i = 0; i < 200_000; i++) {
    batcher.push({ stream: 'stdout', text: `${i}\n` });
    expected += `${i}\n`;
    tick(0.01);
  }
  batcher.flush();
  // 2 s of writes: 125 windows of 16 ms.
  expect(posted.length).toBeLessThanOrEqual(Math.ceil(2000 / BATCH_MS) * (IMMEDIATE_POSTS + 1));
  expect(posted.map((c) => c.text).join('')).toBe(expected);
});
