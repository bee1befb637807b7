import { InMemoryBackend } from '../../lib';
import { describeBackendConformance } from '../../lib/testing';

/** The in-memory broker lives in the process: "the broker's own client" is the newest backend itself. */
let latest: InMemoryBackend | undefined;

describeBackendConformance({
  name: 'in-memory',
  create: () => (latest = new InMemoryBackend()),
  unsupported: {
    filterPolicy: 'its topics filter by manifest only',
  },
  // What a broken producer can put on it: a payload no serializer reads, and one with nothing of melange.
  putHostileMessages: async (queue) => {
    await latest!.send(queue, { payload: '{"Message": not json', manifest: 'conformance.labelled', serializerId: 1, messageId: 'hostile-1', attributes: {} });
    await latest!.send(queue, { payload: '\u0000\uFFFF', messageId: 'hostile-2', attributes: { __proto__: 'x' } });
    return 2;
  },
});
