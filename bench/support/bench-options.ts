import { parseArgs } from 'node:util';

export interface BenchOptionSpec {
  /** Environment variable read when the flag is absent. */
  env: string;
  description: string;
  default: number | string;
}

export type BenchOptionValues<Specs extends Record<string, BenchOptionSpec>> = {
  [Name in keyof Specs]: Specs[Name]['default'] extends number ? number : string;
};

/**
 * Reads `--kebab-case` flags, then the named environment variables, then defaults, so
 * a bench runs with no arguments and CI can still tune it. `--help` lists the options.
 */
export function parseBenchOptions<const Specs extends Record<string, BenchOptionSpec>>(
  title: string,
  specs: Specs,
  argv: readonly string[] = process.argv.slice(2),
): BenchOptionValues<Specs> {
  const names = Object.keys(specs);
  const { values: flags } = parseArgs({
    args: [...argv],
    options: {
      help: { type: 'boolean' },
      ...Object.fromEntries(names.map((name) => [toFlag(name), { type: 'string' as const }])),
    },
    strict: true,
  });
  const values = flags as Record<string, string | boolean | undefined>;
  if (values.help) {
    console.log(`${title}\n\nOptions (flag, environment variable, default):`);
    for (const [name, spec] of Object.entries(specs)) {
      console.log(`  --${toFlag(name)}  ${spec.env}  ${String(spec.default)}\n      ${spec.description}`);
    }
    process.exit(0);
  }
  const parsed: Record<string, number | string> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const flagValue = values[toFlag(name)];
    const raw = (typeof flagValue === 'string' ? flagValue : undefined) ?? process.env[spec.env];
    parsed[name] = raw === undefined ? spec.default : convert(name, raw, spec);
  }
  return parsed as BenchOptionValues<Specs>;
}

function convert(name: string, raw: string, spec: BenchOptionSpec): number | string {
  if (typeof spec.default === 'string') return raw;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`--${toFlag(name)} (${spec.env}) must be a non-negative number, got "${raw}"`);
  }
  return value;
}

function toFlag(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}
