/**
 * Preloaded into the CLI child by `npm run bench` (`node --import`): when the process exits, writes
 * `{ "peakRssBytes": …, "cpuMs": … }` to the file named by `BENCH_PEAK_RSS_FILE`: its peak resident
 * memory in bytes and its user + system CPU time in ms (`process.resourceUsage()`, which covers the
 * worker threads, as they share the process). Worker threads inherit the preload and skip it.
 */
import { writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const file = process.env.BENCH_PEAK_RSS_FILE;
if (isMainThread && file) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ peakRssBytes: usage.maxRSS * 1024, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 }));
  });
}
