/**
 * The setup most integration tests share: one real {@link RunnerPool} for the file (one worker
 * by default, so that every block runs on the same interpreter after the block before it) and
 * a temporary work folder, both created before the file's tests and removed after them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { RunnerPool } from '../../src/examples/pool.ts';

/** The pool and folder of a test file; read them inside tests (they exist once `beforeAll` ran). */
export interface PoolFixture {
  readonly pool: RunnerPool;
  /** Absolute path of the file's temporary folder. */
  readonly work: string;
}

/**
 * Register `beforeAll`/`afterAll` hooks that start a pool of `size` workers and make a
 * temporary folder named after `prefix`, and remove both afterwards.
 * @returns getters for the pool and the folder (they throw if read before `beforeAll`).
 */
export function usePoolFixture(prefix: string, size = 1): PoolFixture {
  let pool: RunnerPool | undefined;
  let work: string | undefined;
  beforeAll(async () => {
    pool = await RunnerPool.create({ size });
    work = await mkdtemp(join(tmpdir(), `${prefix}-`));
  });
  afterAll(async () => {
    await pool?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });
  return {
    get pool() {
      if (!pool) throw new Error('the pool starts in beforeAll');
      return pool;
    },
    get work() {
      if (!work) throw new Error('the work folder is made in beforeAll');
      return work;
    },
  };
}
