import type { ServerScope, Sizes } from '../context';
import type { Scenario } from '../runner';
import { consumeScenario } from './consume';
import { dispatchScenario } from './dispatch';
import { latencyScenario } from './latency';
import { memoryScenario } from './memory';
import { publishScenarios } from './publish';
import { unevenScenario } from './uneven';

/** Every scenario, in the order the benchmark runs them; contender hosts rebuild them the same way. */
export function allScenarios(server: ServerScope, sizes: Sizes): Scenario[] {
  return [
    consumeScenario(server, sizes),
    unevenScenario(server, sizes),
    ...publishScenarios(server, sizes),
    latencyScenario(server, sizes),
    dispatchScenario(sizes),
    memoryScenario(server, sizes),
  ];
}
