/**
 * Sharding: `--shard k/n` splits the content files into n parts, so that n machines (a CI
 * matrix) each verify one part, as Vitest's and Playwright's `--shard` do with test files.
 *
 * The split is by file (a file's blocks are never split: `--update` rewrites whole files) and
 * balanced by the number of blocks that run: files are taken from the most blocks to the fewest
 * (ties by path, in JavaScript's default string order), and each goes to the shard that holds the fewest blocks so
 * far (ties: the fewest files, then the lowest number), the greedy "longest processing time
 * first" rule. For a given set of files with given contents every shard is the same on every
 * machine, every file is in exactly one shard, and the shards together hold every file. Adding or
 * editing a file may move other files to another shard; nothing depends on where a file ran.
 */
import { readFile } from 'node:fs/promises';
import { extractExamples } from './extract.ts';

/** One shard of n: `index` counts from 1 (`--shard 1/4` is the first of four). */
export interface Shard {
  index: number;
  count: number;
}

/** A content file and its weight: the number of its blocks that run. */
export interface WeightedFile {
  file: string;
  weight: number;
}

/** Bad `--shard` text; verify.ts reports it as a usage error (exit 2). */
export class ShardError extends Error {
  override name = 'ShardError';
}

/**
 * Parse `--shard` text `k/n`.
 * @param text e.g. `"2/4"`: two whole numbers in decimal digits, 1 ≤ k ≤ n.
 * @returns `{ index: k, count: n }`.
 * @throws ShardError naming the expected form for anything else (`0/4`, `5/4`, `1/0`, `a/b`, `2`).
 */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || !Number.isSafeInteger(count) || index < 1 || index > count)
    throw new ShardError(`--shard takes k/n, two whole numbers with 1 ≤ k ≤ n (e.g. --shard 2/4), not "${text}"`);
  return { index, count };
}

/**
 * Split weighted files into `count` shards (the rule is in the module comment).
 * @param files each file once; paths are compared as given.
 * @param count number of shards, ≥ 1.
 * @returns `count` lists of paths, each sorted by path; a shard may be empty when there are fewer
 *   files than shards.
 * @throws RangeError when `count` is not a whole number ≥ 1 or a path appears twice.
 */
export function splitIntoShards(files: readonly WeightedFile[], count: number): string[][] {
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`shard count must be a whole number ≥ 1, not ${count}`);
  if (new Set(files.map((f) => f.file)).size !== files.length) throw new RangeError('a file appears twice in the list to shard');
  const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const order = [...files].sort((a, b) => b.weight - a.weight || byCodePoint(a.file, b.file));
  const shards = Array.from({ length: count }, () => ({ weight: 0, files: [] as string[] }));
  for (const { file, weight } of order) {
    let target = shards[0]!;
    for (const shard of shards) {
      if (shard.weight < target.weight || (shard.weight === target.weight && shard.files.length < target.files.length)) target = shard;
    }
    target.weight += weight;
    target.files.push(file);
  }
  return shards.map((s) => s.files.sort(byCodePoint));
}

/**
 * Read and extract `files` and weigh each by its blocks that run (not `norun`). A file that does
 * not parse weighs 0 (its problems are reported by whichever shard holds it).
 * @param files content file paths.
 * @returns one entry per file, in the order given.
 * @throws the file system's error for an unreadable file.
 */
export async function weighFiles(files: readonly string[]): Promise<WeightedFile[]> {
  return Promise.all(
    files.map(async (file) => {
      const { blocks } = extractExamples(file, await readFile(file, 'utf8'));
      return { file, weight: blocks.filter((b) => b.meta.norun === null).length };
    }),
  );
}

/**
 * The files of one shard: {@link weighFiles}, then {@link splitIntoShards}.
 * @param files every content file the run would verify without `--shard`.
 * @param shard which shard to keep.
 * @returns the shard's paths, sorted.
 * @throws the file system's error for an unreadable file.
 */
export async function selectShard(files: readonly string[], shard: Shard): Promise<string[]> {
  return splitIntoShards(await weighFiles(files), shard.count)[shard.index - 1]!;
}
