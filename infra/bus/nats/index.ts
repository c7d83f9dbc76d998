export { createNatsBus } from './create-nats-bus.js';
export type { NatsBusConnectOptions, NatsBusOptions } from './nats-bus-options.js';
