/**
 * Peak memory and CPU time of a process tree, sampled from Linux's /proc: the verify CLI and every
 * process it starts (the sandbox process that holds the runner workers). `npm run bench` samples
 * every 100 ms while the CLI runs. Elsewhere than Linux, {@link TreeSampler.available} is false.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux port that matters). */
const TICKS_PER_SECOND = 100;

/** Samples a process and its descendants; figures cover every process seen while sampling. */
export class TreeSampler {
  /** /proc is readable here. */
  readonly available: boolean;
  private readonly root: number;
  private readonly seen = new Map<number, { hwmBytes: number; cpuTicks: number }>();
  /** Largest sum of the tree's resident memory at one sample, in bytes. */
  maxTreeRssBytes = 0;

  /** @param root the pid of the tree's root process. */
  constructor(root: number) {
    this.root = root;
    this.available = process.platform === 'linux';
  }

  /** Take one sample (processes that ended since the last one keep their last figures). */
  sample(): void {
    if (!this.available) return;
    const parents = new Map<number, number[]>();
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const stat = read(`/proc/${name}/stat`);
      const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (!fields) continue;
      const ppid = Number(fields[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(name)]);
    }
    let rssSum = 0;
    for (const pid of this.tree(parents)) {
      const status = read(`/proc/${pid}/status`);
      const stat = read(`/proc/${pid}/stat`);
      if (!status || !stat) continue;
      const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime are fields 14 and 15 of stat; fields[] starts at field 3.
      const cpuTicks = Number(fields[11]) + Number(fields[12]);
      rssSum += kib('VmRSS');
      const prev = this.seen.get(pid);
      this.seen.set(pid, { hwmBytes: Math.max(prev?.hwmBytes ?? 0, kib('VmHWM')), cpuTicks: Math.max(prev?.cpuTicks ?? 0, cpuTicks) });
    }
    this.maxTreeRssBytes = Math.max(this.maxTreeRssBytes, rssSum);
  }

  /** Sum of each process's own peak resident memory (VmHWM), in bytes: an upper bound of the tree's peak. */
  get sumOfPeaksBytes(): number {
    return [...this.seen.values()].reduce((sum, p) => sum + p.hwmBytes, 0);
  }

  /** User + system CPU time of every process seen, in ms (up to its last sample). */
  get cpuMs(): number {
    return ([...this.seen.values()].reduce((sum, p) => sum + p.cpuTicks, 0) * 1000) / TICKS_PER_SECOND;
  }

  private tree(parents: Map<number, number[]>): number[] {
    const pids = [this.root];
    for (let i = 0; i < pids.length; i++) pids.push(...(parents.get(pids[i]!) ?? []));
    return pids;
  }
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null; // the process ended between listing and reading
  }
}
