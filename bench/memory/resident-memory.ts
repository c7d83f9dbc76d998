import { readFileSync } from 'node:fs';

export interface ResidentMemory {
  /** Resident set size now (VmRSS), in bytes. */
  residentBytes: number;
  /** Highest resident set size so far (VmHWM), in bytes. */
  peakBytes: number;
}

/** Reads Linux's /proc/<pid>/status: what the kernel holds in RAM for the process, heap or not. */
export function readResidentMemory(pid: number): ResidentMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kilobytes = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match?.[1]) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(match[1]) * 1024;
  };
  return { residentBytes: kilobytes('VmRSS'), peakBytes: kilobytes('VmHWM') };
}

/** Samples for `durationMs` and keeps the median, so one GC cycle mid-sample does not decide the figure. */
export async function settledResidentMemory(pid: number, durationMs: number, intervalMs = 250): Promise<ResidentMemory> {
  const samples: ResidentMemory[] = [];
  for (let elapsed = 0; elapsed <= durationMs; elapsed += intervalMs) {
    samples.push(readResidentMemory(pid));
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  samples.sort((left, right) => left.residentBytes - right.residentBytes);
  const median = samples[Math.floor(samples.length / 2)]!;
  return { residentBytes: median.residentBytes, peakBytes: Math.max(...samples.map((sample) => sample.peakBytes)) };
}

export function formatMegabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(0)} MB`;
}
