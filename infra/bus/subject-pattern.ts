/**
 * NATS subject rules, shared by both bus adapters so the in-process bus accepts and
 * matches exactly what JetStream would: dot-separated tokens, `*` stands for one token,
 * `>` (last token only) for one or more.
 */

const FORBIDDEN_IN_TOKEN = /[\s*>]/;

function isLiteralToken(token: string): boolean {
  return token.length > 0 && !FORBIDDEN_IN_TOKEN.test(token);
}

/** True for a subject a message can be published on: no wildcards, no empty tokens. */
export function isPublishableSubject(subject: string): boolean {
  return subject.split('.').every(isLiteralToken);
}

/** True for a subscription pattern: literal tokens, `*` tokens and an optional trailing `>`. */
export function isSubjectPattern(pattern: string): boolean {
  const tokens = pattern.split('.');
  return tokens.every(
    (token, index) => isLiteralToken(token) || token === '*' || (token === '>' && index === tokens.length - 1),
  );
}

/** True when `subject` (literal) is matched by `pattern`. */
export function matchesSubject(pattern: string, subject: string): boolean {
  const patternTokens = pattern.split('.');
  const subjectTokens = subject.split('.');
  for (const [index, token] of patternTokens.entries()) {
    // `>` needs at least one token to stand for, as in NATS: `a.>` does not match `a`.
    if (token === '>') return subjectTokens.length > index;
    const subjectToken = subjectTokens[index];
    if (subjectToken === undefined) return false;
    if (token !== '*' && token !== subjectToken) return false;
  }
  return patternTokens.length === subjectTokens.length;
}

/** True when any of `patterns` matches `subject`. */
export function matchesAnySubject(patterns: readonly string[], subject: string): boolean {
  return patterns.some((pattern) => matchesSubject(pattern, subject));
}

/** Throws unless `subject` is publishable, naming it, so a bad subject fails at the caller. */
export function assertPublishableSubject(subject: string): void {
  if (!isPublishableSubject(subject)) {
    throw new TypeError(`invalid bus subject "${subject}": use dot-separated tokens without wildcards or spaces`);
  }
}

/** Throws unless every pattern is a valid subscription pattern. */
export function assertSubjectPatterns(patterns: readonly string[]): void {
  if (patterns.length === 0) throw new TypeError('a consumer needs at least one subject');
  for (const pattern of patterns) {
    if (!isSubjectPattern(pattern)) {
      throw new TypeError(`invalid subject pattern "${pattern}": \`*\` must be a whole token, \`>\` the last one`);
    }
  }
}
