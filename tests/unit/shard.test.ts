/**
 * `--shard k/n` (src/examples/shard.ts): parsing, and the split as properties (fast-check) over
 * generated file lists: every file in exactly one shard, the same shards whatever the order the
 * files are listed in, and balanced (the heaviest and lightest shard differ by at most the
 * heaviest file); weights read from real MDX files; the split of the real content/ tree.
 */
import { glob, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseShard, ShardError, selectShard, splitIntoShards, weighFiles, type WeightedFile } from '../../src/examples/shard.ts';

describe('parseShard', () => {
  test('reads k/n with 1 ≤ k ≤ n', () => {
    expect(parseShard('1/1')).toEqual({ index: 1, count: 1 });
    expect(parseShard('3/4')).toEqual({ index: 3, count: 4 });
    expect(parseShard('4/4')).toEqual({ index: 4, count: 4 });
  });

  test.each(['0/4', '5/4', '1/0', '0/0', '-1/4', '1.5/4', '1/4.0', 'a/b', '2', '2/', '/4', '1/2/3', '', ' '])(
    'rejects %j with a message naming the form',
    (text) => {
      expect(() => parseShard(text)).toThrow(ShardError);
      expect(() => parseShard(text)).toThrow(/--shard takes k\/n.*1 ≤ k ≤ n/);
    },
  );
});

const fileLists = fc.uniqueArray(fc.record({ file: fc.string({ minLength: 1, maxLength: 12 }), weight: fc.nat({ max: 40 }) }), {
  selector: (f) => f.file,
  maxLength: 60,
});

describe('splitIntoShards', () => {
  test('every file is in exactly one shard; the shards together hold every file', () => {
    fc.assert(
      fc.property(fileLists, fc.integer({ min: 1, max: 12 }), (files, count) => {
        const shards = splitIntoShards(files, count);
        expect(shards).toHaveLength(count);
        const all = shards.flat();
        expect(new Set(all).size).toBe(all.length);
        expect([...all].sort()).toEqual(files.map((f) => f.file).sort());
      }),
    );
  });

  test('the split depends on the files, not on the order they are listed in', () => {
    fc.assert(
      fc.property(
        fileLists.chain((files) => fc.tuple(fc.constant(files), fc.shuffledSubarray(files, { minLength: files.length }))),
        fc.integer({ min: 1, max: 12 }),
        ([files, shuffled], count) => {
          expect(splitIntoShards(shuffled, count)).toEqual(splitIntoShards(files, count));
        },
      ),
    );
  });

  test('balanced: the heaviest and the lightest shard differ by at most the heaviest file', () => {
    fc.assert(
      fc.property(fileLists, fc.integer({ min: 1, max: 12 }), (files, count) => {
        const weightOf = new Map(files.map((f) => [f.file, f.weight]));
        const loads = splitIntoShards(files, count).map((shard) => shard.reduce((sum, f) => sum + weightOf.get(f)!, 0));
        const heaviestFile = Math.max(0, ...files.map((f) => f.weight));
        expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(heaviestFile);
      }),
    );
  });

  test('files without blocks are spread by count, and each shard is sorted by path', () => {
    const files: WeightedFile[] = ['e', 'd', 'c', 'b', 'a'].map((file) => ({ file, weight: 0 }));
    expect(splitIntoShards(files, 2)).toEqual([
      ['a', 'c', 'e'],
      ['b', 'd'],
    ]);
    expect(splitIntoShards(files, 7)).toEqual([['a'], ['b'], ['c'], ['d'], ['e'], [], []]);
  });

  test('rejects a bad count and a file listed twice', () => {
    expect(() => splitIntoShards([], 0)).toThrow(RangeError);
    expect(() =>
      splitIntoShards(
        [
          { file: 'a', weight: 1 },
          { file: 'a', weight: 2 },
        ],
        2,
      ),
    ).toThrow(/twice/);
  });
});

describe('on real files', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'shard-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  test('a file weighs its blocks that run: norun blocks and other languages do not count', async () => {
    const file = join(work, 'page.mdx');
    const fence = '```';
    await writeFile(
      file,
      [
        '---\ntitle: T\n---\n',
        `${fence}python\nprint(1)\n${fence}\n`,
        `${fence}output\n1\n${fence}\n`,
        `${fence}python norun="needs threads"\nimport threading\n${fence}\n`,
        `${fence}js\nconsole.log(1)\n${fence}\n`,
        `${fence}python\nprint(2)\n${fence}\n`,
      ].join('\n'),
    );
    expect(await weighFiles([file])).toEqual([{ file, weight: 2 }]);
  });

  test('the content/ tree: four shards hold every page once, and the split is the same on a second call', async () => {
    const pages = (await Array.fromAsync(glob('content/**/*.{md,mdx}'))).sort();
    expect(pages.length).toBeGreaterThan(3);
    const shards = await Promise.all([1, 2, 3, 4].map((index) => selectShard(pages, { index, count: 4 })));
    expect(shards.flat().sort()).toEqual(pages);
    expect(await selectShard([...pages].reverse(), { index: 2, count: 4 })).toEqual(shards[1]);
  });
});
