import { describe, expect, it } from 'vitest';
import { createOutageReporter } from './outage-reporter.js';

describe('outage reporter', () => {
  it('reports the first failure of each outage and the recovery that ends it, nothing in between', () => {
    const seen: string[] = [];
    const reporter = createOutageReporter({ onError: (error, operation) => seen.push(`${operation}: ${error.message}`), onRecovered: () => seen.push('recovered') });
    reporter.succeeded();
    reporter.failed(new Error('down'), 'get');
    reporter.failed(new Error('still down'), 'set');
    reporter.succeeded();
    reporter.succeeded();
    reporter.failed('not an Error', 'set');
    expect(seen).toEqual(['get: down', 'recovered', 'set: not an Error']);
  });
});
