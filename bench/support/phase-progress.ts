import cliProgress from 'cli-progress';

export interface PhaseProgress {
  /** Moves the bar to `done` of the phase's total, with a short live detail. */
  update(done: number, detail: string): void;
  /** Ends the phase, leaving one summary line behind. */
  finish(summary: string): void;
}

/**
 * Progress on stderr, so stdout stays the clean report: a live bar on a terminal, one
 * line per finished phase otherwise (CI logs, pipes).
 */
export function startPhase(label: string, total: number, unit: string): PhaseProgress {
  if (!process.stderr.isTTY) {
    return {
      update: () => undefined,
      finish: (summary) => process.stderr.write(`${label}: ${summary}\n`),
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${label.padEnd(34)} {bar} {value}/{total} ${unit}  {detail}`,
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { detail: '' });
  return {
    update: (done, detail) => bar.update(Math.min(total, Math.round(done)), { detail }),
    finish: (summary) => {
      bar.stop();
      process.stderr.write(`${label}: ${summary}\n`);
    },
  };
}
