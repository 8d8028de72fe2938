/** chunk-batch.ts: writes merged in order, posted by age and size, nothing lost at flush. */
import { expect, test } from 'vitest';
import { BATCH_CHARS, BATCH_MS, chunkBatcher } from '../../src/client/chunk-batch.ts';
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

test('consecutive writes to one stream become one chunk; stream changes keep their order', () => {
  const { batcher, posted } = harness();
  for (const text of ['a\n', 'b\n']) batcher.push({ stream: 'stdout', text });
  batcher.push({ stream: 'stderr', text: 'err\n' });
  batcher.push({ stream: 'stdout', text: 'c' });
  expect(posted).toEqual([]);
  batcher.flush();
  expect(posted).toEqual([
    { stream: 'stdout', text: 'a\nb\n' },
    { stream: 'stderr', text: 'err\n' },
    { stream: 'stdout', text: 'c' },
  ]);
});

test('a batch is posted once its first write is BATCH_MS old, or once it holds BATCH_CHARS', () => {
  const { batcher, posted, tick } = harness();
  batcher.push({ stream: 'stdout', text: '1\n' });
  tick(BATCH_MS - 1);
  batcher.push({ stream: 'stdout', text: '2\n' });
  expect(posted).toHaveLength(0);
  tick(1);
  batcher.push({ stream: 'stdout', text: '3\n' });
  expect(posted).toEqual([{ stream: 'stdout', text: '1\n2\n3\n' }]);
  batcher.push({ stream: 'stdout', text: 'x'.repeat(BATCH_CHARS) });
  expect(posted).toHaveLength(2);
  batcher.flush();
  expect(posted).toHaveLength(2); // nothing was waiting
});

test('200,000 writes become a few hundred messages, and every character arrives', () => {
  const { batcher, posted, tick } = harness();
  let expected = '';
  for (let i = 0; i < 200_000; i++) {
    batcher.push({ stream: 'stdout', text: `${i}\n` });
    expected += `${i}\n`;
    tick(0.01);
  }
  batcher.flush();
  expect(posted.length).toBeLessThan(400);
  expect(posted.map((c) => c.text).join('')).toBe(expected);
});
