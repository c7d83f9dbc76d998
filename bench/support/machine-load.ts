import { readFileSync, readdirSync } from 'node:fs';

/** CPU counters at one moment, in clock ticks. */
export interface CpuSnapshot {
  busyTicks: number;
  allTicks: number;
  /** Ticks of this process and of every PostgreSQL server process, by pid. */
  benchTicksByPid: Map<number, number>;
}

/**
 * Reads Linux's /proc; undefined elsewhere. The bench's own work is this process plus
 * the PostgreSQL server; everything else busy on the machine competes with it.
 */
export function takeCpuSnapshot(): CpuSnapshot | undefined {
  try {
    const cpuLine = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const fields = cpuLine.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
    const allTicks = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
    const busyTicks = allTicks - (fields[3] ?? 0) - (fields[4] ?? 0);
    const benchTicksByPid = postgresCpuTicks();
    benchTicksByPid.set(process.pid, processCpuTicks(process.pid));
    return { busyTicks, allTicks, benchTicksByPid };
  } catch {
    return undefined;
  }
}

/** Share of the whole machine (0–1) that processes other than the bench used between two snapshots. */
export function outsideCpuShare(start: CpuSnapshot | undefined, end: CpuSnapshot | undefined): number {
  if (!start || !end || end.allTicks <= start.allTicks) return Number.NaN;
  let benchTicks = 0;
  for (const [pid, ticks] of end.benchTicksByPid) benchTicks += ticks - (start.benchTicksByPid.get(pid) ?? 0);
  const outside = end.busyTicks - start.busyTicks - benchTicks;
  return Math.max(0, outside) / (end.allTicks - start.allTicks);
}

export function formatShare(share: number): string {
  return Number.isFinite(share) ? `${(share * 100).toFixed(0)}%` : '—';
}

function postgresTicks(pid: number): number | undefined {
  try {
    const stat = readProcessStat(pid);
    return stat.name === 'postgres' ? stat.cpuTicks : undefined;
  } catch {
    return undefined;
  }
}

/** Linux's clock tick, the unit of /proc's CPU times. */
export const CLOCK_TICK_MS = 10;

/** User and system time a process has used, in clock ticks. */
export function processCpuTicks(pid: number): number {
  return readProcessStat(pid).cpuTicks;
}

/** User and system time of each PostgreSQL server process on the machine, in clock ticks, by pid; empty off Linux. */
export function postgresCpuTicks(): Map<number, number> {
  const ticksByPid = new Map<number, number>();
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const ticks = postgresTicks(Number(entry));
      if (ticks !== undefined) ticksByPid.set(Number(entry), ticks);
    }
  } catch {
    // Not Linux: nothing to count.
  }
  return ticksByPid;
}

/**
 * Ticks the processes used between two readings. A process that started in between
 * counts whole; one that ended counts nothing, since its last ticks left with it (so a
 * sum of totals, which would then go down, is not used).
 */
export function ticksBetween(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number {
  let ticks = 0;
  for (const [pid, total] of after) ticks += total - (before.get(pid) ?? 0);
  return ticks;
}

function readProcessStat(pid: number): { name: string; cpuTicks: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name sits in parentheses and may hold spaces; fields follow the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), cpuTicks: Number(fields[11]) + Number(fields[12]) };
}
