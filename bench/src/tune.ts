/*
 * How the "hand-tuned" and "best"/"tuned" settings of scenario 1 were chosen: every contender at
 * several poller / consumer / concurrency counts, same rounds and table as the benchmark.
 *   npm --prefix bench run tune [-- --n=10000 --rounds=3]
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import 'reflect-metadata';
import { FULL, ServerScope, type Sizes } from './context';
import { runScenario, table } from './runner';
import { CONSUME_COLUMNS, melangeContender, rawContender, sqsConsumerContender, ssutContender } from './scenarios/consume';

async function main(): Promise<void> {
  const option = (name: string): string | undefined => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
  const sizes: Sizes = { ...FULL, consume: Number(option('n') ?? 10_000), rounds: Number(option('rounds') ?? 3) };
  const server = new ServerScope();
  const counts = [4, 8, 16, 32];
  // e.g. --only=raw,nestjs-melange: contenders whose name starts so.
  const only = option('only')?.split(',');
  const chosen = (name: string) => !only || only.some((prefix) => name.startsWith(prefix));
  const result = await runScenario(
    {
      id: 'tune',
      title: `Tuning scenario 1 (${sizes.consume} messages)`,
      description: '',
      rounds: sizes.rounds,
      setUp: () => server.start(),
      tearDown: () => server.stop(),
      columns: CONSUME_COLUMNS,
      contenders: [
        ...counts.map((count) => rawContender(server, sizes, count, `raw, ${count} pollers`)),
        ...counts.map((count) => sqsConsumerContender(server, sizes, count, `sqs-consumer, ${count} Consumers`)),
        ...counts.map((count) => ssutContender(server, sizes, { instances: count }, `@ssut/nestjs-sqs, ${count} consumers`)),
        ...[16, undefined, 64, 100, 128, 160, 256].map((concurrency) =>
          melangeContender(server, sizes, concurrency, `nestjs-melange, concurrency ${concurrency ?? '32 (default)'}`),
        ),
      ]
        .filter((contender) => chosen(contender.name))
        .map((contender, index) => (index === 0 ? contender : { ...contender, baseline: false })),
    },
    (line) => console.log(line),
  );
  console.log(`\n${table(result)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
