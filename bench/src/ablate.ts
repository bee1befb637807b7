/*
 * Where does nestjs-melange's consume (or publish) CPU go? Runs scenario 1's default nestjs-melange contender
 * with one part of the library's per-message path replaced, at run time, by the cheapest thing
 * that does the same job for this benchmark (nothing in lib/ is edited), next to the untouched
 * library and the raw SDK pipeline reading the same wire format. The CPU saved by each
 * replacement is what that part costs.
 *   npm --prefix bench run ablate [-- --n=10000 --rounds=3 --concurrency=32 --scenario=consume|publish]
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import 'reflect-metadata';
import type { Type } from '@nestjs/common';
import * as tracing from '../../lib/observability/tracing';
import * as wire from '../../lib/backends/sqs/sqs-wire-format';
import { JsonSerializer } from '../../lib/serialization/json.serializer';
import { MelangeEvents } from '../../lib/observability/melange-events';
import { MessageRunner } from '../../lib/backends/sqs/consumer/message-runner';
import { VisibilityKeeper } from '../../lib/backends/sqs/visibility-keeper';
import { HandlerInvoker } from '../../lib/consuming/handler-invoker';
import type { DispatchTable, HandlerBinding } from '../../lib/consuming/dispatch-table';
import { MessageDispatcher } from '../../lib/consuming/message-dispatcher';
import type { Delivery } from '../../lib/backends/messaging-backend';
import type { SerializerRegistry } from '../../lib/serialization/serializer-registry';
import type { MessageTypeRegistry } from '../../lib/messages/message-type-registry';
import { FULL, ServerScope, type Sizes } from './context';
import { runScenario, table, type Contender } from './runner';
import { CONSUME_COLUMNS, melangeContender, rawWireContender } from './scenarios/consume';
import { publishScenarios } from './scenarios/publish';

type Patch = { name: string; apply: () => () => void };

function replace<T extends object, K extends keyof T>(target: T, key: K, value: T[K]): () => void {
  const original = target[key];
  (target as Record<K, T[K]>)[key] = value;
  return () => ((target as Record<K, T[K]>)[key] = original);
}

const consumePatches: Patch[] = [
  {
    name: 'dispatcher: decode, call the handler, ack; no events, tracing, timeout, idempotency or error handling',
    apply: () =>
      replace(MessageDispatcher.prototype, 'dispatch', async function (this: MessageDispatcher, table: DispatchTable, delivery: Delivery) {
        const internals = this as unknown as { serializers: SerializerRegistry; types: MessageTypeRegistry };
        const { envelope } = delivery;
        const route = table.route(envelope.manifest, internals.types);
        const message = internals.serializers.forId(envelope.serializerId ?? 1).deserialize(envelope.payload, envelope.manifest, route.messageType);
        const instance = route.handler.provider.instance as Record<string, (message: unknown, context: unknown) => unknown>;
        await instance[route.handler.methodName]!(message, { queue: delivery.queue });
        await delivery.ack();
      }),
  },
  {
    name: 'deserialize: JSON.parse + Object.assign instead of class-transformer',
    apply: () =>
      replace(JsonSerializer.prototype, 'deserialize', function (payload: string, _manifest: string | undefined, type?: Type<unknown>) {
        const plain = JSON.parse(payload) as object;
        return type ? Object.assign(Object.create(type.prototype as object) as object, plain) : plain;
      }),
  },
  {
    name: 'tracing: no OpenTelemetry API is asked whether tracing is on',
    apply: () => replace(tracing, 'tracingActive', () => false),
  },
  {
    name: 'events: MelangeEvents.emit does nothing',
    apply: () => replace(MelangeEvents.prototype, 'emit', () => undefined),
  },
  {
    name: 'heartbeat: no visibility lease per message',
    apply: () => replace(VisibilityKeeper.prototype, 'hold', () => ({ release: () => Promise.resolve() })),
  },
  {
    name: 'invoker: call the method directly (no Nest guards/interceptors/pipes/filters)',
    apply: () =>
      replace(HandlerInvoker.prototype, 'invoke', function (handler: HandlerBinding, message: unknown, context: unknown) {
        const instance = handler.provider.instance as Record<string, (message: unknown, context: unknown) => Promise<void>>;
        try {
          return Promise.resolve(instance[handler.methodName]!(message, context));
        } catch (error) {
          return Promise.reject(error);
        }
      }),
  },
  {
    name: 'ack: free the slot at once and never wait for the delete request (no bound on unconfirmed deletes)',
    apply: () => {
      type Internals = {
        deps: { settlement: { delete: (receiptHandle: string, messageId: string) => Promise<void> } };
        acknowledge: (receiptHandle: string, messageId: string, freeSlot?: () => void) => Promise<void>;
      };
      const proto = MessageRunner.prototype as unknown as Internals;
      return replace(proto, 'acknowledge', function (this: Internals, receiptHandle: string, messageId: string, freeSlot?: () => void) {
        void this.deps.settlement.delete(receiptHandle, messageId).catch(() => undefined);
        freeSlot?.();
        return Promise.resolve();
      });
    },
  },
];

const publishPatches: Patch[] = [
  {
    name: 'serialize: JSON.stringify instead of class-transformer instanceToPlain',
    apply: () => replace(JsonSerializer.prototype, 'serialize', (value: object) => JSON.stringify(value)),
  },
  {
    name: 'tracing: no OpenTelemetry API is asked whether tracing is on',
    apply: () => replace(tracing, 'tracingActive', () => false),
  },
  {
    name: 'events: MelangeEvents.emit does nothing',
    apply: () => replace(MelangeEvents.prototype, 'emit', () => undefined),
  },
  {
    name: 'checks: no assertSendable / wireSize before sending',
    apply: () => {
      // It returns the size the batcher packs by: the body's length stands in, as for wireSize.
      const undoAssert = replace(wire, 'assertSendable', ((_destination: string, _envelope: unknown, body: string) => body.length) as typeof wire.assertSendable);
      const undoSize = replace(wire, 'wireSize', ((body: string) => body.length) as typeof wire.wireSize);
      return () => (undoAssert(), undoSize());
    },
  },
];

function patched(contender: Contender, name: string, chosen: readonly Patch[]): Contender {
  return {
    ...contender,
    name,
    settings: chosen.map((patch) => patch.name.split(':')[0]).join(' + ') || 'as is',
    baseline: false,
    run: async (round) => {
      const undo = chosen.map((patch) => patch.apply());
      try {
        return await contender.run(round);
      } finally {
        undo.reverse().forEach((restore) => restore());
      }
    },
  };
}

async function main(): Promise<void> {
  const option = (name: string): string | undefined => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
  const n = Number(option('n') ?? 10_000);
  const sizes: Sizes = { ...FULL, consume: n, publish: n, rounds: Number(option('rounds') ?? 3) };
  const concurrency = option('concurrency') ? Number(option('concurrency')) : undefined;
  const server = new ServerScope();
  const publish = option('scenario') === 'publish';
  let melange: Contender;
  let reference: Contender;
  let patches: Patch[];
  if (publish) {
    const scenario = publishScenarios(server, sizes)[0]!;
    melange = scenario.contenders.find((contender) => contender.name.startsWith('nestjs-melange'))!;
    reference = scenario.contenders.find((contender) => contender.name.includes('wire format'))!;
    patches = publishPatches;
  } else {
    melange = melangeContender(server, sizes, concurrency);
    // The raw pipeline on the library's wire format, with as many pollers as nestjs-melange starts.
    reference = rawWireContender(server, sizes, Math.ceil((concurrency ?? 32) / 10));
    patches = consumePatches;
  }
  const result = await runScenario(
    {
      id: 'ablate',
      title: `Ablation of nestjs-melange's ${publish ? 'publish' : 'consume'} path (${n} messages)`,
      description: '',
      rounds: sizes.rounds,
      setUp: () => server.start(),
      tearDown: () => server.stop(),
      columns: CONSUME_COLUMNS,
      ratioLabel: '× as is',
      contenders: [
        { ...patched(melange, 'nestjs-melange as is', []), baseline: true },
        ...patches.map((patch) => patched(melange, `without ${patch.name.split(':')[0]}`, [patch])),
        patched(melange, 'without all of the above', patches),
        { ...reference, baseline: false },
      ],
    },
    (line) => console.log(line),
  );
  console.log(`\n${table(result)}\n`);
  for (const patch of patches) console.log(`- ${patch.name}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
