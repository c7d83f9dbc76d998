import { PromptNameMismatchError, PromptNotFoundError, PromptVersionConflictError } from './prompt-errors.js';
import type { PromptTemplate } from './prompt-template.js';
import type { PromptEvent, PromptVersionPublishedData } from './prompt-version-published.js';

export type PublishPromptVersion = {
  type: 'PublishPromptVersion';
  data: PromptTemplate & { now: Date };
};

export type PromptCommand = PublishPromptVersion;

export type PromptState =
  | { status: 'none' }
  | { status: 'published'; name: string; versions: readonly PromptVersionPublishedData[]; latest: PromptVersionPublishedData };

export function initialState(): PromptState {
  return { status: 'none' };
}

export function evolve(state: PromptState, event: PromptEvent): PromptState {
  switch (event.type) {
    case 'PromptVersionPublished': {
      const versions = state.status === 'published' ? [...state.versions, event.data] : [event.data];
      return { status: 'published', name: event.data.name, versions, latest: event.data };
    }
    default:
      return state;
  }
}

export function decide(command: PromptCommand, state: PromptState): PromptEvent[] {
  switch (command.type) {
    case 'PublishPromptVersion':
      return publishPromptVersion(command.data, state);
    default:
      return unknownCommand(command.type);
  }
}

function publishPromptVersion({ now, ...template }: PublishPromptVersion['data'], state: PromptState): PromptEvent[] {
  const latest = state.status === 'published' ? state.latest : undefined;
  if (latest && latest.name !== template.name) throw new PromptNameMismatchError(latest.name, template.name);
  // A publish that is redelivered carries the same content: it has already happened.
  if (latest && latest.version === template.version && sameTemplate(latest, template)) return [];
  const expectedVersion = (latest?.version ?? 0) + 1;
  if (template.version !== expectedVersion) throw new PromptVersionConflictError(expectedVersion, template.version);
  return [{ type: 'PromptVersionPublished', data: { ...template, publishedAt: now.toISOString() } }];
}

/** The template a turn renders: the named version, or the latest one. */
export function promptVersion(state: PromptState, name: string, version?: number): PromptVersionPublishedData {
  if (state.status !== 'published') throw new PromptNotFoundError(name, version);
  if (version === undefined) return state.latest;
  const found = state.versions.find((published) => published.version === version);
  if (!found) throw new PromptNotFoundError(name, version);
  return found;
}

export const promptDecider = { decide, evolve, initialState };

function sameTemplate(published: PromptTemplate, template: PromptTemplate): boolean {
  const fields: (keyof PromptTemplate)[] = [
    'system',
    'developer',
    'outputFormat',
    'historyTokenBudget',
    'temperature',
    'maxOutputTokens',
  ];
  return fields.every((field) => published[field] === template[field]);
}

function unknownCommand(type: never): never {
  throw new Error(`unknown prompt command ${String(type)}`);
}
