/** Small helpers shared by the benchmarks: timing, percentiles and a table printer. */

export interface Measurement {
  name: string;
  ops: number;
  ms: number;
  opsPerSec: number;
  extra?: Record<string, string | number>;
}

/** Runs `fn` `count` times with at most `concurrency` in flight and measures throughput. */
export async function measure(
  name: string,
  count: number,
  concurrency: number,
  fn: (i: number) => unknown,
): Promise<Measurement> {
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await fn(i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ms = performance.now() - start;
  return { name, ops: count, ms, opsPerSec: (count / ms) * 1000 };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export function printTable(title: string, rows: Measurement[], baseline: string): void {
  const base = rows.find((r) => r.name === baseline);
  console.log(`\n## ${title}`);
  for (const r of rows) {
    const ratio = base ? (r.opsPerSec / base.opsPerSec).toFixed(2) : 'n/a';
    const extra = r.extra
      ? `  ${Object.entries(r.extra)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`
      : '';
    console.log(
      `${r.name.padEnd(56)} ${r.opsPerSec.toFixed(0).padStart(9)} ops/s  ${ratio.padStart(5)}× ${baseline}${extra}`,
    );
  }
}
