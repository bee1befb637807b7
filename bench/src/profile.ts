/*
 * Profiles one contender of one scenario with V8's sampling profiler (what `node --cpu-prof`
 * records), over the measured span only: module loading, queue filling and start-up are left out.
 *
 *   npm --prefix bench run profile -- <scenario id> "<contender name or part of it>" [--quick]
 *   e.g. npm --prefix bench run profile -- consume "melange, defaults"
 *
 * Writes bench/results/profiles/<scenario>-<contender>-<time>.cpuprofile (open it in Chrome
 * DevTools or speedscope) and prints self time by owner and the hottest functions.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { FULL, QUICK, ServerScope } from './context';
import { measured } from './hooks';
import { summarise } from './profile-summary';
import { consumeScenario } from './scenarios/consume';
import { dispatchScenario } from './scenarios/dispatch';
import { latencyScenario } from './scenarios/latency';
import { publishScenarios } from './scenarios/publish';
import { rabbitmqScenario } from './scenarios/rabbitmq';

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  const sizes = process.argv.includes('--quick') ? QUICK : FULL;
  const [scenarioId, contenderName] = args;
  const server = new ServerScope();
  // rabbitmq: its first measured span, the consume half of a run.
  const scenario = [consumeScenario(server, sizes), ...publishScenarios(server, sizes), latencyScenario(server, sizes), dispatchScenario(sizes), rabbitmqScenario(sizes)].find(
    (candidate) => candidate.id === scenarioId,
  );
  const contender = scenario?.contenders.find((candidate) => candidate.name.includes(contenderName ?? '\0'));
  if (!scenario || !contender) {
    throw new Error(`usage: profile <consume|publish|publish-sns|latency|dispatch|rabbitmq> "<contender>"; got ${scenarioId} "${contenderName}"`);
  }
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params?: object): Promise<T> =>
    new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  // Starting V8's profiler logs every compiled function, which stalls the process for a while.
  // So one profile runs from the start, and the measured span is a second, console.profile() one:
  // cheap to start while the first is running.
  await post('Profiler.start');
  let metrics: Record<string, number> = {};
  let resolveProfile!: (profile: object) => void;
  const profile = new Promise<object>((resolve) => (resolveProfile = resolve));
  session.on('Profiler.consoleProfileFinished', (message) => resolveProfile((message.params as { profile: object }).profile));
  await scenario.setUp?.();
  try {
    console.log(`warm-up: ${contender.name}`);
    await contender.run({ round: -1, warmup: false });
    let started = false;
    measured.start = () => {
      if (!started) console.profile('measured');
      started = true;
    };
    measured.stop = () => {
      if (started) console.profileEnd('measured');
      started = false;
    };
    console.log(`profiled run: ${contender.name}`);
    metrics = await contender.run({ round: 0, warmup: false });
    console.log(metrics);
  } finally {
    await scenario.tearDown?.();
  }
  await post('Profiler.stop');
  const dir = join(__dirname, '..', 'results', 'profiles');
  mkdirSync(dir, { recursive: true });
  const slug = `${scenario.id}-${contender.name.replace(/[^a-z0-9]+/gi, '-')}-${new Date().toISOString().replace(/[:.]/g, '-')}`.toLowerCase();
  const file = join(dir, `${slug}.cpuprofile`);
  writeFileSync(file, JSON.stringify(await profile));
  const messages = metrics.handled ?? (scenario.id === 'dispatch' ? sizes.dispatch : scenario.id.startsWith('publish') ? sizes.publish : undefined);
  const summary = summarise(file, 30, messages);
  writeFileSync(join(dir, `${slug}.md`), `${summary}\n`);
  console.log(summary);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
