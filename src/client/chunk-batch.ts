/**
 * Output batching in the browser worker. A block printing 200,000 lines writes 200,000 times;
 * posting each write as its own message queued 200,000 messages in the runner frame and the page,
 * ahead of Stop's interrupt, and their handling (and the garbage they made) held the main thread.
 * The worker merges writes and posts at most one message per {@link BATCH_MS} or
 * {@link BATCH_CHARS}. The time comes from `performance.now()`: while Python runs, the worker's
 * event loop does not turn, so no timer could flush.
 */
import type { OutputChunk } from '../examples/output.ts';

/** Longest time in ms a write waits before it is posted (one animation frame). */
export const BATCH_MS = 16;
/** Most characters one posted batch holds before it is posted at once (64 Ki). */
export const BATCH_CHARS = 64 * 1024;

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
  let since = 0;
  const flush = () => {
    const batch = pending;
    pending = [];
    size = 0;
    for (const chunk of batch) post(chunk);
  };
  return {
    push(chunk) {
      if (!chunk.text) return;
      if (!pending.length) since = now();
      const last = pending[pending.length - 1];
      if (last?.stream === chunk.stream) last.text += chunk.text;
      else pending.push({ stream: chunk.stream, text: chunk.text });
      size += chunk.text.length;
      if (size >= BATCH_CHARS || now() - since >= BATCH_MS) flush();
    },
    flush,
  };
}
