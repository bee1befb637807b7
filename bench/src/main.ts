/*
 * npm run bench          full sizes (see src/context.ts)
 * npm run bench:quick    the same scenarios, small sizes
 * Options after `--`:  --only=consume,uneven,batch,publish,publish-sns,rabbitmq,latency,dispatch,lambda,memory,large-messages,startup   --rounds=N
 *                      --latest   also write bench/RESULTS.md (the committed copy of a full run)
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { FULL, QUICK, ServerScope, type Sizes } from './context';
import { describeEnvironment, environment } from './environment';
import { isolated } from './isolation';
import { runScenario, table, type Scenario, type ScenarioResult } from './runner';
import { allScenarios } from './scenarios';

const BENCH = join(__dirname, '..');

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string): string | undefined => args.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
  let sizes: Sizes = args.includes('--quick') ? QUICK : FULL;
  if (option('rounds')) sizes = { ...sizes, rounds: Number(option('rounds')), unevenRounds: Number(option('rounds')) };
  const only = option('only')?.split(',');
  const server = new ServerScope();
  const scenarios: Scenario[] = allScenarios(server, sizes)
    .filter((scenario) => !only || only.includes(scenario.id))
    // The memory and start-up scenarios start a fresh process for every run already; the large-message ones
    // move megabytes per message, where the sharing of JIT state that isolation avoids is noise.
    .map((scenario) => (scenario.id === 'memory' || scenario.id === 'startup' || scenario.id === 'large-messages' ? scenario : isolated(scenario, sizes, server)));
  const env = environment();
  const startedAt = new Date();
  console.log(`# nestjs-melange benchmarks (${sizes.mode}), ${startedAt.toISOString()}\n\n${describeEnvironment(env)}`);
  const started = performance.now();
  const results: (ScenarioResult & { loadAverageAfter: number[] })[] = [];
  for (const scenario of scenarios) {
    console.log(`\n## ${scenario.title}\n`);
    const result = await runScenario(scenario, (line) => console.log(line));
    results.push({ ...result, loadAverageAfter: os.loadavg().map((value) => Math.round(value * 100) / 100) });
    console.log(`\n${table(result)}\n`);
  }
  const durationMs = performance.now() - started;
  const markdown = report(sizes, startedAt, durationMs, describeEnvironment(env), results);
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const dir = join(BENCH, 'results');
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `${stamp}-${sizes.mode}`);
  writeFileSync(`${base}.json`, `${JSON.stringify({ mode: sizes.mode, sizes, startedAt, durationMs, environment: env, scenarios: results }, null, 2)}\n`);
  writeFileSync(`${base}.md`, markdown);
  if (args.includes('--latest')) writeFileSync(join(BENCH, 'RESULTS.md'), markdown);
  console.log(`\n---\n\n${markdown}`);
  console.log(`Results written to ${base}.json and .md${args.includes('--latest') ? ' and bench/RESULTS.md' : ''}`);
}

function report(sizes: Sizes, startedAt: Date, durationMs: number, env: string, results: readonly (ScenarioResult & { loadAverageAfter: number[] })[]): string {
  const lines = [
    `# nestjs-melange benchmark results (${sizes.mode} run)`,
    '',
    `${startedAt.toISOString()}, ${(durationMs / 60_000).toFixed(1)} min. Median of ${sizes.rounds} rounds after a warm-up ` +
      `(memory: ${sizes.memoryRounds} round(s), no warm-up` +
      `${sizes.unevenRounds === sizes.rounds ? '' : `; uneven handlers: ${sizes.unevenRounds} round(s)`}); contenders alternate, the order rotating each round, each in a ` +
      'Node process of its own (memory: a fresh one per run). ' +
      'Ratios compare medians with the bold baseline row.',
    '',
    env,
  ];
  for (const result of results) {
    lines.push(
      '',
      `## ${result.title}`,
      '',
      table(result),
      '',
      `${result.description} (${(result.durationMs / 1000).toFixed(0)} s; load average after: ${result.loadAverageAfter.join(' / ')})`,
    );
  }
  return `${lines.join('\n')}\n`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
