import { readFileSync } from 'node:fs';
import { formatTable } from '../support/format-table.js';
import { REPOSITORY_ROOT } from './tsx-loader.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface CpuProfileSummary {
  /** Sampled time that was not idle, in milliseconds. */
  busyMs: number;
  /** Self time by function, highest first. */
  functions: { name: string; selfMs: number }[];
  /** Time spent in a function or anything it called, for Tessera's own functions. */
  ownInclusive: { name: string; totalMs: number }[];
  /** Self time by package (node_modules), Tessera folder, or Node/V8 internals. */
  areas: { area: string; selfMs: number }[];
}

const IDLE = new Set(['(idle)', '(root)']);

/** Reads a `--cpu-prof` file and says where the busy time went. */
export function summarizeCpuProfile(path: string): CpuProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const areas = new Map<string, number>();
  let busyMs = 0;
  profile.samples.forEach((nodeId, index) => {
    // A sample lasts until the next one is taken.
    const durationMs = (profile.timeDeltas[index + 1] ?? 0) / 1_000;
    const node = byId.get(nodeId);
    if (!node || IDLE.has(node.callFrame.functionName)) return;
    busyMs += durationMs;
    const name = functionKey(node);
    self.set(name, (self.get(name) ?? 0) + durationMs);
    const area = areaOf(node);
    areas.set(area, (areas.get(area) ?? 0) + durationMs);
    const onStack = new Set<string>();
    for (let current: ProfileNode | undefined = node; current; current = byId.get(parents.get(current.id) ?? -1)) {
      if (current.callFrame.url.startsWith(`file://${REPOSITORY_ROOT}`) && !current.callFrame.url.includes('/node_modules/')) {
        onStack.add(functionKey(current));
      }
    }
    for (const key of onStack) inclusive.set(key, (inclusive.get(key) ?? 0) + durationMs);
  });

  const sorted = <Key extends string>(map: Map<string, number>, key: Key, value: 'selfMs' | 'totalMs') =>
    [...map].sort((left, right) => right[1] - left[1]).map(([name, milliseconds]) => ({ [key]: name, [value]: milliseconds }));
  return {
    busyMs,
    functions: sorted(self, 'name', 'selfMs') as { name: string; selfMs: number }[],
    ownInclusive: sorted(inclusive, 'name', 'totalMs') as { name: string; totalMs: number }[],
    areas: sorted(areas, 'area', 'selfMs') as { area: string; selfMs: number }[],
  };
}

export function formatCpuProfileSummary(summary: CpuProfileSummary, top = 15): string {
  const percent = (milliseconds: number) => `${((100 * milliseconds) / summary.busyMs).toFixed(1)}%`;
  return [
    `busy ${(summary.busyMs / 1_000).toFixed(1)} s sampled`,
    '',
    formatTable(
      [{ header: 'self time by area' }, { header: 'share', align: 'right' }],
      summary.areas.slice(0, top).map((row) => [row.area, percent(row.selfMs)]),
    ),
    '',
    formatTable(
      [{ header: 'top functions (self time)' }, { header: 'share', align: 'right' }],
      summary.functions.slice(0, top).map((row) => [row.name, percent(row.selfMs)]),
    ),
    '',
    formatTable(
      [{ header: "Tessera's functions (with what they call)" }, { header: 'share', align: 'right' }],
      summary.ownInclusive.slice(0, top).map((row) => [row.name, percent(row.totalMs)]),
    ),
  ].join('\n');
}

// No line numbers: tsx's output and the bundled packages put whole modules on line 1.
function functionKey(node: ProfileNode): string {
  const { functionName, url } = node.callFrame;
  const name = functionName || '(anonymous)';
  if (!url) return name;
  return `${name} ${shortUrl(url)}`;
}

function shortUrl(url: string): string {
  const withoutRoot = url.replace(`file://${REPOSITORY_ROOT}`, '');
  const packageAt = withoutRoot.lastIndexOf('node_modules/');
  return packageAt === -1 ? withoutRoot : withoutRoot.slice(packageAt + 'node_modules/'.length);
}

function areaOf(node: ProfileNode): string {
  const { functionName, url } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : 'V8 / native';
  if (url.startsWith('node:')) return 'Node internals';
  // The only WebAssembly in the server is PGlite's PostgreSQL.
  if (url.startsWith('wasm://')) return 'PGlite WebAssembly (PostgreSQL)';
  const path = url.replace(`file://${REPOSITORY_ROOT}`, '');
  const packageAt = path.lastIndexOf('node_modules/');
  if (packageAt !== -1) {
    const parts = path.slice(packageAt + 'node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? path);
  }
  if (path === url) return 'other';
  return `tessera ${path.split('/')[0] ?? ''}/`;
}
