/**
 * Output batching in the browser worker. A block printing 200,000 lines writes 200,000 times;
 * posting each write as its own message queued 200,000 messages in the runner frame and the page,
 * ahead of Stop's interrupt, and their handling (and the garbage they made) held the main thread.
 * The worker posts the first {@link IMMEDIATE_POSTS} writes of each {@link BATCH_MS} window as
 * they come, and merges the rest. The time comes from `performance.now()`: while Python runs,
 * the worker's event loop does not turn, so no timer could flush. Known limit: after a burst of
 * more writes than that, the last ones of the burst show when the next write comes or the run ends.
 */
import type { OutputChunk } from '../examples/output.ts';

/** The window in ms (one animation frame) in which at most {@link IMMEDIATE_POSTS} writes are posted as they come. */
export const BATCH_MS = 16;
/** Most characters one posted batch holds before it is posted at once (64 Ki). */
export const BATCH_CHARS = 64 * 1024;
/**
 * Writes posted at once within one window: a program that prints a little and then computes or
 * sleeps shows its lines as they are written (nothing else could post them later: while Python
 * runs, the worker's event loop does not turn, so no timer fires). Past that rate, writes wait
 * for the next write that comes after the window, for {@link BATCH_CHARS}, or for the run's end.
 */
export const IMMEDIATE_POSTS = 8;

/** A merger of output writes; see {@link chunkBatcher}. */
export interface ChunkBatcher {
  /** Take one write; posts the batch when it is old or large enough. */
  push(chunk: OutputChunk): void;
  /** Post what is waiting (call before the run's `done`). */
  flush(): void;
}

/**
 * Merge writes into batches, keeping their order: consecutive writes to one stream become one
 * chunk, and a batch is a list of chunks in write order.
 * @param post receives each batch's chunks in order (never an empty batch).
 * @param now the clock in ms (default `performance.now`; tests pass their own).
 */
export function chunkBatcher(post: (chunk: OutputChunk) => void, now: () => number = () => performance.now()): ChunkBatcher {
  let pending: OutputChunk[] = [];
  let size = 0;
  /** Start of the current window, and how many posts were made in it. */
  let windowStart = Number.NEGATIVE_INFINITY;
  let postsInWindow = 0;
  const flush = () => {
    if (!pending.length) return;
    const batch = pending;
    pending = [];
    size = 0;
    const time = now();
    if (time - windowStart >= BATCH_MS) {
      windowStart = time;
      postsInWindow = 0;
    }
    postsInWindow++;
    for (const chunk of batch) post(chunk);
  };
  return {
    push(chunk) {
      if (!chunk.text) return;
      const last = pending[pending.length - 1];
      if (last?.stream === chunk.stream) last.text += chunk.text;
      else pending.push({ stream: chunk.stream, text: chunk.text });
      size += chunk.text.length;
      const windowOver = now() - windowStart >= BATCH_MS;
      if (size >= BATCH_CHARS || windowOver || postsInWindow < IMMEDIATE_POSTS) flush();
    },
    flush,
  };
}
