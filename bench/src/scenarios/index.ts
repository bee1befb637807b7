import type { ServerScope, Sizes } from '../context';
import type { Scenario } from '../runner';
import { batchScenario } from './batch';
import { consumeScenario } from './consume';
import { dispatchScenario } from './dispatch';
import { largeMessageScenarios } from './large-messages';
import { lambdaScenario } from './lambda';
import { latencyScenario } from './latency';
import { memoryScenario } from './memory';
import { outboxScenario } from './outbox';
import { publishScenarios } from './publish';
import { rabbitmqScenario } from './rabbitmq';
import { startupScenario } from './startup';
import { unevenScenario } from './uneven';

/** Every scenario, in the order the benchmark runs them; contender hosts rebuild them the same way. */
export function allScenarios(server: ServerScope, sizes: Sizes): Scenario[] {
  return [
    consumeScenario(server, sizes),
    unevenScenario(server, sizes),
    batchScenario(server, sizes),
    ...publishScenarios(server, sizes),
    rabbitmqScenario(sizes),
    latencyScenario(server, sizes),
    dispatchScenario(sizes),
    lambdaScenario(sizes),
    memoryScenario(server, sizes),
    outboxScenario(server, sizes),
    ...largeMessageScenarios(server, sizes),
    startupScenario(server, sizes),
  ];
}
