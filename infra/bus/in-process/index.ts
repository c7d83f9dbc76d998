export { createInProcessBus, type InProcessBusOptions } from './create-in-process-bus.js';
