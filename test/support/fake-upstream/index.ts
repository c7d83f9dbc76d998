export { startFakeUpstream, type FakeUpstream, type FakeUpstreamOptions, type RecordedRequest } from './start-fake-upstream.js';
export { parseDirectives, parseDirectiveHeader, stripDirectives, FakeDirectiveError, type FakeDirective } from './parse-directives.js';
export { scenarioFromDirectives, directivesForModel, type FakeScenario, type FakeToolCall } from './fake-scenario.js';
