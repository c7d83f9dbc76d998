import { DomainError } from '../shared/domain-error.js';

export class PromptVersionConflictError extends DomainError {
  constructor(
    readonly expectedVersion: number,
    readonly version: number,
  ) {
    super('TESSERA_PROMPT_VERSION_CONFLICT', `the next version is ${expectedVersion}, not ${version}`, 'version');
  }
}

export class PromptNameMismatchError extends DomainError {
  constructor(
    readonly streamPromptName: string,
    readonly promptName: string,
  ) {
    super('TESSERA_PROMPT_NAME_MISMATCH', `this stream holds prompt "${streamPromptName}", not "${promptName}"`, 'name');
  }
}

export class PromptNotFoundError extends DomainError {
  constructor(
    readonly promptName: string,
    readonly version?: number,
  ) {
    super(
      'TESSERA_PROMPT_NOT_FOUND',
      version === undefined ? `prompt "${promptName}" has no published version` : `prompt "${promptName}" has no version ${version}`,
      version === undefined ? 'promptName' : 'promptVersion',
    );
  }
}
