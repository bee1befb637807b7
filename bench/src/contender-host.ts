/*
 * One contender in a process of its own (see src/isolation.ts). Started by the benchmark with the
 * scenario, the contender's name, the sizes and the local server's endpoint; runs a round each
 * time the parent asks and answers with its metrics.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import 'reflect-metadata';
import { ServerScope, type Sizes } from './context';
import type { RoundInfo } from './runner';
import { allScenarios } from './scenarios';

export interface HostJob {
  readonly scenario: string;
  readonly contender: string;
  readonly sizes: Sizes;
  readonly endpoint?: string;
}

export type HostRequest = { readonly round: RoundInfo };
export type HostReply = { readonly ready: true } | { readonly metrics: Record<string, number> } | { readonly error: string };

function reply(message: HostReply): void {
  process.send!(message);
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as HostJob;
  const server = new ServerScope();
  if (job.endpoint) server.attach(job.endpoint);
  const scenario = allScenarios(server, job.sizes).find((candidate) => candidate.id === job.scenario);
  const contender = scenario?.contenders.find((candidate) => candidate.name === job.contender);
  if (!contender) throw new Error(`no contender "${job.contender}" in scenario "${job.scenario}"`);
  process.on('message', (request: HostRequest) => {
    contender.run(request.round).then(
      (metrics) => reply({ metrics }),
      (error: unknown) => reply({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  });
  process.on('disconnect', () => {
    void server.stop().finally(() => process.exit(0));
  });
  reply({ ready: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
