import type { ServerScope, Sizes } from '../context';
import type { OrderPlaced } from '../message';
import type { Contender, Scenario } from '../runner';
import { sleep } from '../stats';
import {
  MELANGE_TUNED_CONCURRENCY,
  SSUT_TUNED_INSTANCES,
  consumeRun,
  melangeContender,
  rawContender,
  sqsConsumerContender,
  ssutContender,
  type ConsumeContender,
} from './consume';

/** How long a slow handler waits (an awaited timer, not CPU). */
export const SLOW_MS = 2_000;

/**
 * Slots enough for the slow handlers by Little's law: at the all-fast rate, 1 % of messages each
 * holding a slot for 2 s keep about rate × 0.02 slots busy; this leaves room for twice the rate
 * the fastest contender reaches here.
 */
const SIZED_FOR_SLOW_CONCURRENCY = 400;

/** 1 % of the backlog, spread evenly: order ids are `order-<index, 10 digits>`, and the slow ones end in 99. */
function isSlow(order: OrderPlaced): boolean {
  return order.orderId.endsWith('99');
}

/**
 * Scenario 1's contenders, each run twice per round on the same backlog size: all fast (as in
 * scenario 1), then with every 100th handler waiting 2 s. The figure that matters is the second
 * rate over the first, taken per round.
 */
function unevenContender(server: ServerScope, sizes: Sizes, contender: ConsumeContender): Contender {
  const { name, settings, baseline, format, start } = contender;
  return {
    name,
    settings,
    baseline,
    run: async (round) => {
      const fast = await consumeRun(server, sizes, round, name, format, start);
      const waits: Promise<void>[] = [];
      const slow = await consumeRun(server, sizes, round, name, format, start, (order) => {
        if (!isSlow(order)) return;
        const wait = sleep(SLOW_MS);
        waits.push(wait);
        return wait;
      });
      // The peers' stop does not wait for their handlers: let the last slow ones end before the next run.
      await Promise.all(waits);
      return {
        fastRate: fast.rate!,
        rate: slow.rate!,
        vsFast: slow.rate! / fast.rate!,
        perReceive: slow.perReceive!,
        handled: slow.handled!,
        capped: slow.capped!,
        leftover: fast.leftover! + slow.leftover!,
      };
    },
  };
}

export function unevenScenario(server: ServerScope, sizes: Sizes): Scenario {
  const n = sizes.consume.toLocaleString('en-US');
  return {
    id: 'uneven',
    title: `1b. Uneven handlers: ${n} messages queued, 1 % of them slow (${SLOW_MS / 1000} s)`,
    description:
      `Each round runs every contender twice, on a fresh queue of ${n} messages each time: all handlers fast (exactly scenario 1), ` +
      `then with every 100th message's handler (1 %, spread evenly through the backlog) awaiting a ${SLOW_MS / 1000} s timer after ` +
      'the same work; the others are as fast as in scenario 1. Rate = handler calls per second between the first and the last ' +
      `call (a slow handler counts when it starts), each run capped at ${sizes.consumeCapMs / 1000} s after its first message as in ` +
      'scenario 1. "1 % slow / all fast" is the ratio of the two rates in the same round (median and min–max over rounds); ' +
      'messages per receive are those of the run with slow handlers. Once slow handlers fill its slots, a consumer that holds at ' +
      `most N messages at once starts at most about N / (1 % × ${SLOW_MS / 1000} s) = 50 × N messages per second (Little's law): ` +
      '1,600 msg/s at concurrency 32, 5,000 at 100, 20,000 at 400. The raw pipeline and the peers free a batch of 10 only when its slowest ' +
      'handler ends: one batch in 10 holds its poller 2 s, so 16 pollers handle about 16 × 100 messages per 2 s = 800 msg/s.',
    rounds: sizes.unevenRounds,
    setUp: () => server.start(),
    tearDown: () => server.stop(),
    columns: [
      { key: 'fastRate', label: 'all fast msg/s', digits: 0 },
      { key: 'rate', label: '1 % slow msg/s', spread: true, ratio: true },
      { key: 'vsFast', label: '1 % slow / all fast', digits: 2, spread: true },
      { key: 'perReceive', label: 'msgs per receive (1 % slow)', digits: 1 },
    ],
    contenders: [
      rawContender(server, sizes),
      sqsConsumerContender(server, sizes),
      ssutContender(server, sizes, { instances: SSUT_TUNED_INSTANCES }),
      melangeContender(server, sizes, undefined),
      melangeContender(server, sizes, MELANGE_TUNED_CONCURRENCY),
      melangeContender(server, sizes, SIZED_FOR_SLOW_CONCURRENCY, 'nestjs-melange, sized for slow handlers'),
    ].map((contender) => unevenContender(server, sizes, contender)),
  };
}
