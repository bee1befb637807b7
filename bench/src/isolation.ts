import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { ServerScope, Sizes } from './context';
import type { HostJob, HostReply, HostRequest } from './contender-host';
import type { Contender, Metrics, RoundInfo, Scenario } from './runner';

/**
 * The scenario with each contender in a Node process of its own, kept for all of its rounds.
 *
 * In one process the contenders share V8's optimized code and inline caches: the AWS SDK, trained
 * on one contender's objects, ran another's up to a third slower (nestjs-melange's publish():
 * 71 µs per message alone, 96 µs beside the raw loops). An app runs one of them, so each is
 * measured alone; the rounds still alternate between them, and the parent owns the server.
 */
export function isolated(scenario: Scenario, sizes: Sizes, server: ServerScope): Scenario {
  const hosts = new Map<string, Host>();
  return {
    ...scenario,
    setUp: async () => {
      await scenario.setUp?.();
      // Scenarios without a network need no server (and may run without one); rabbitmq uses RabbitMQ's.
      const endpoint = scenario.id === 'dispatch' || scenario.id === 'lambda' || scenario.id === 'rabbitmq' ? undefined : server.endpoint;
      for (const contender of scenario.contenders) {
        hosts.set(contender.name, await Host.start({ scenario: scenario.id, contender: contender.name, sizes, endpoint }));
      }
    },
    tearDown: async () => {
      for (const host of hosts.values()) host.stop();
      hosts.clear();
      await scenario.tearDown?.();
    },
    contenders: scenario.contenders.map(
      (contender): Contender => ({
        name: contender.name,
        settings: contender.settings,
        baseline: contender.baseline,
        run: (round) => hosts.get(contender.name)!.run(round),
      }),
    ),
  };
}

class Host {
  private waiting: ((reply: HostReply) => void) | undefined;

  private constructor(private readonly child: ChildProcess, private readonly job: HostJob) {
    child.on('message', (reply: HostReply) => this.waiting?.(reply));
    child.on('exit', (code) => this.waiting?.({ error: `the host of "${job.contender}" exited with ${code}` }));
  }

  static async start(job: HostJob): Promise<Host> {
    const child = fork(join(__dirname, 'contender-host.ts'), [JSON.stringify(job)], {
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const host = new Host(child, job);
    const first = await host.next();
    if (!('ready' in first)) throw new Error(`the host of "${job.contender}" did not start: ${'error' in first ? first.error : ''}`);
    return host;
  }

  async run(round: RoundInfo): Promise<Metrics> {
    const reply = this.next();
    this.child.send({ round } satisfies HostRequest);
    const answer = await reply;
    if ('metrics' in answer) return answer.metrics;
    throw new Error(`"${this.job.contender}" failed: ${'error' in answer ? answer.error : 'no metrics'}`);
  }

  stop(): void {
    this.child.disconnect();
  }

  private next(): Promise<HostReply> {
    return new Promise((resolve) => (this.waiting = resolve));
  }
}
