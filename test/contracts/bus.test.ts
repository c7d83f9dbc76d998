import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createInProcessBus } from '../../infra/bus/in-process/index.js';
import { createNatsBus } from '../../infra/bus/nats/index.js';
import { testServices } from '../support/services.js';
import { describeBusContract } from './bus.contract.js';

describeBusContract(
  'in-process',
  () => Promise.resolve({ bus: createInProcessBus(), subjectPrefix: 'tessera', teardown: () => Promise.resolve() }),
  { settledWaitsForConsumers: true, redeliverySlackMs: 250, offersLastMessage: false },
);

describeBusContract(
  'nats-jetstream',
  async () => {
    // Files run side by side against one server: every run gets its own streams and subjects.
    const token = `bus${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const stream = token.toUpperCase();
    const connection = await connect({ servers: testServices.natsUrl });
    const bus = await createNatsBus(connection, {
      stream,
      subjects: [`${token}.>`],
      storage: 'memory',
      deadLetterStream: `${stream}_DEAD_LETTERS`,
      deadLetterSubjectPrefix: `${token}-dead-letters`,
      restartDelayMs: 200,
    });
    return {
      bus,
      subjectPrefix: token,
      async teardown() {
        const manager = await jetstreamManager(connection);
        await manager.streams.delete(stream);
        await manager.streams.delete(`${stream}_DEAD_LETTERS`);
        await connection.drain();
      },
    };
  },
  { settledWaitsForConsumers: false, redeliverySlackMs: 1000, offersLastMessage: true },
);
