export {
  connectKurrentDbEventStore,
  createKurrentDbEventStore,
  type KurrentDbEventStoreOptions,
} from './create-kurrentdb-event-store.js';
export { kurrentDbQuirks, type KurrentDbQuirks } from './kurrentdb-quirks.js';
export { UnreadableRecordError } from './map-recorded-event.js';
