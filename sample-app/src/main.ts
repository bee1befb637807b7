import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { DemoLogger, runDemo } from './demo';
import { startLocalSqsServer, type LocalSqsServer } from './melange-testing';
import { PaymentGateway } from './payments/payment-gateway';
import { startSampleApp, type RunningSample } from './sample-app';
import { AWS_ENDPOINT, SQS_ENDPOINT_SETTING } from './settings';
import { stopRequested } from './stop-signal';

/*
 * npm run sample        serves the API until Ctrl-C
 * npm run sample:demo   places a few orders itself, prints the flow, exits 0 (or 1 on a failure)
 *
 * Without MELANGE_SQS_ENDPOINT, an embedded SQS/SNS server (fauxqs) runs on 127.0.0.1 for as long
 * as the app does. See settings.ts for every variable.
 *
 * SIGINT, SIGTERM or the exit of the process that started it (npm, a shell) drains the consumers,
 * then stops the embedded server; a second signal leaves at once. Nest's enableShutdownHooks is not
 * used: it knows signals only, and the server must stop after the drain, not before.
 */

const logger = new Logger('Sample');

async function main(): Promise<number> {
  // Importing the AppModule started ConfigModule.forRoot(); once it has loaded sample-app/.env,
  // process.env holds the whole configuration.
  await ConfigModule.envVariablesLoaded;
  // Listened for from the start, so a stop during start-up waits for it and then drains.
  const stop = stopRequested();
  const demo = process.argv.includes('--demo');
  const httpPort = port(demo);

  let localServer: LocalSqsServer | undefined;
  if (!process.env[SQS_ENDPOINT_SETTING]) {
    localServer = await startLocalSqsServer({ host: '127.0.0.1' });
    // From here on the embedded server is configured exactly as an external one would be.
    process.env[SQS_ENDPOINT_SETTING] = localServer.endpoint;
    logger.log(`embedded SQS/SNS server (fauxqs) listening on ${localServer.endpoint}`);
  }

  let sample: RunningSample;
  try {
    sample = await startSampleApp({ port: httpPort, logger: demo ? new DemoLogger() : undefined });
  } catch (error) {
    const portTaken = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    logger.error(
      portTaken
        ? 'the HTTP port is taken: set PORT to another one, or PORT=0 for any free port'
        : `the app did not start; its messages go through ${broker(localServer)}, check ${SQS_ENDPOINT_SETTING} and AWS_REGION`,
    );
    await localServer?.stop();
    throw error;
  }

  // Order matters: the app drains its consumers while the broker is still there to ack to.
  const shutdown = async (): Promise<void> => {
    await sample.app.close();
    await localServer?.stop();
  };

  if (demo) {
    const stopped = stop.then((reason) => Promise.reject(new Error(`stopped (${reason}) before it finished`)));
    // A stop after the demo finished is no failure of it; the race below reports one before.
    stopped.catch(() => undefined);
    try {
      await Promise.race([runDemo(sample.url, sample.app.get(PaymentGateway).limit), stopped]);
      return 0;
    } catch (error) {
      logger.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    } finally {
      logger.log('shutting down');
      await shutdown();
    }
  }

  printUsage(sample.url, localServer, sample.app.get(PaymentGateway).limit);
  const reason = await stop;
  // A second signal while draining leaves at once; the embedded server's pipe to this process
  // closes with it, so it stops too.
  logger.log(`${reason}: draining the consumers, then stopping (a signal again to force)`);
  await shutdown();
  return 0;
}

/** PORT, else 3000; the demo takes any free port so that it runs beside anything else. */
function port(demo: boolean): number {
  const configured = process.env.PORT;
  if (configured === undefined || configured === '') return demo ? 0 : 3000;
  const value = Number(configured);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`PORT must be a port number, got "${configured}"`);
  return value;
}

function broker(localServer: LocalSqsServer | undefined): string {
  const endpoint = process.env[SQS_ENDPOINT_SETTING];
  if (localServer) return `the embedded SQS/SNS server at ${localServer.endpoint}`;
  if (endpoint === AWS_ENDPOINT) return `AWS SQS/SNS (${process.env.AWS_REGION ?? 'region from the AWS SDK chain'})`;
  return `the SQS/SNS endpoint ${endpoint}`;
}

/** Plain console output, not the logger: these lines are meant to be copied. */
function printUsage(url: string, localServer: LocalSqsServer | undefined, paymentLimit: number): void {
  const order = (customer: string, sku: string, price: number): string =>
    `curl -s -X POST ${url}/orders -H 'content-type: application/json' ` +
    `-d '{"customer":"${customer}","items":[{"sku":"${sku}","quantity":1,"price":${price}}]}'`;
  console.log(
    [
      '',
      `Sample app on ${url}, messages through ${broker(localServer)}.`,
      '',
      `Place an order (under ${paymentLimit} EUR it is paid, above it the payment fails):`,
      `  ${order('ada', 'keyboard', 89.9)}`,
      `  ${order('grace', 'laptop', paymentLimit + 450)}`,
      'Follow it, with the id from the answer:',
      `  curl -s ${url}/orders/<id>`,
      `  curl -s ${url}/orders`,
      'See what customers were told:',
      `  curl -s '${url}/notifications?customer=ada'`,
      '',
      `Ctrl-C drains the consumers and stops the app${localServer ? ', then the embedded server' : ''}.`,
      '',
    ].join('\n'),
  );
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  },
);
