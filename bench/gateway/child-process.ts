import { spawn, type ChildProcess } from 'node:child_process';
import { REPOSITORY_ROOT } from './tsx-loader.js';

export interface RunningChild {
  label: string;
  pid: number;
  /** Resolves with the first match of `pattern` in the child's stdout or stderr. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** The last lines the child wrote, for error messages. */
  recentOutput(): string;
  /** Lines matching `pattern` the child wrote so far (bounded), e.g. its error messages. */
  matchingLines(pattern: RegExp): string[];
  /** Whether the process has exited. */
  exited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it ended. */
  stop(graceMs?: number): Promise<{ signalled: 'SIGTERM' | 'SIGKILL'; exitCode: number | null }>;
}

const KEPT_LINES = 200;
const running = new Set<ChildProcess>();

// A bench that dies (an exception, Ctrl-C) must not leave servers behind on the machine.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of running) child.kill('SIGKILL');
    process.exit(130);
  });
}

/**
 * Starts a server under test in a process of its own, so its CPU time and garbage
 * collection never share an event loop with the load generator. Output is drained and
 * only a tail is kept: a chatty child must not block on a full pipe.
 */
export function startChild(label: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv): RunningChild {
  const child = spawn(command, args, { cwd: REPOSITORY_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`${label} did not start`);
  running.add(child);
  const lines: string[] = [];
  const seen: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (match: RegExpMatchArray) => void }>();
  let exitCode: number | null | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', (code) => {
      exitCode = code;
      running.delete(child);
      resolve();
    });
  });

  const take = (stream: NodeJS.ReadableStream) => {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (text: string) => {
      const pieces = (partial + text).split('\n');
      partial = pieces.pop() ?? '';
      for (const line of pieces) {
        lines.push(line);
        if (lines.length > KEPT_LINES) lines.shift();
        if (seen.length < 10 * KEPT_LINES) seen.push(line);
        for (const waiter of waiters) {
          const match = line.match(waiter.pattern);
          if (match) {
            waiters.delete(waiter);
            waiter.resolve(match);
          }
        }
      }
    });
  };
  take(child.stdout);
  take(child.stderr);

  return {
    label,
    pid: child.pid,
    waitForOutput(pattern, timeoutMs) {
      const earlier = seen.map((line) => line.match(pattern)).find((match) => match !== null);
      if (earlier) return Promise.resolve(earlier);
      return new Promise((resolve, reject) => {
        const waiter = { pattern, resolve: (match: RegExpMatchArray) => (clearTimeout(timer), resolve(match)) };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`${label} printed nothing matching ${String(pattern)} in ${timeoutMs} ms:\n${lines.join('\n')}`));
        }, timeoutMs);
        waiters.add(waiter);
        void exitedPromise.then(() => {
          if (!waiters.delete(waiter)) return;
          clearTimeout(timer);
          reject(new Error(`${label} exited (code ${String(exitCode)}) before printing ${String(pattern)}:\n${lines.join('\n')}`));
        });
      });
    },
    recentOutput: () => lines.join('\n'),
    matchingLines: (pattern) => seen.filter((line) => pattern.test(line)),
    exited: () => exitCode !== undefined,
    async stop(graceMs = 15_000) {
      if (exitCode !== undefined) return { signalled: 'SIGTERM', exitCode };
      child.kill('SIGTERM');
      const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), graceMs).unref());
      if ((await Promise.race([exitedPromise, timer])) === 'late') {
        child.kill('SIGKILL');
        await exitedPromise;
        return { signalled: 'SIGKILL', exitCode: exitCode ?? null };
      }
      return { signalled: 'SIGTERM', exitCode: exitCode ?? null };
    },
  };
}
