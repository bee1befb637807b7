import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { DemoLogger, runDemo } from './demo';
import { startLocalSqsServer, type LocalSqsServer } from './melange-testing';
import { PaymentGateway } from './payments/payment-gateway';
import { startSampleApp, type RunningSample } from './sample-app';
import {
  AWS_ENDPOINT,
  BROKER_SETTING,
  brokerSetting,
  RABBITMQ_URL_SETTING,
  rabbitMqUrlSetting,
  redactedUrl,
  SettingError,
  SQS_ENDPOINT_SETTING,
  type Broker,
} from './settings';
import { stopRequested } from './stop-signal';

/*
 * npm run sample        serves the API until Ctrl-C
 * npm run sample:demo   places a few orders itself, prints the flow, exits 0 (or 1 on a failure)
 *
 * Without MELANGE_SQS_ENDPOINT, an embedded SQS/SNS server (fauxqs) runs on 127.0.0.1 for as long
 * as the app does. MELANGE_BROKER=rabbitmq runs the same app on RabbitMQ (RABBITMQ_URL) instead,
 * and starts no server: RabbitMQ must be running. See settings.ts for every variable.
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
  const broker = brokerSetting(process.env[BROKER_SETTING]);

  let localServer: LocalSqsServer | undefined;
  if (broker === 'sqs' && !process.env[SQS_ENDPOINT_SETTING]) {
    localServer = await startLocalSqsServer({ host: '127.0.0.1' });
    // From here on the embedded server is configured exactly as an external one would be.
    process.env[SQS_ENDPOINT_SETTING] = localServer.endpoint;
    logger.log(`embedded SQS/SNS server (fauxqs) listening on ${localServer.endpoint}`);
  }

  let sample: RunningSample;
  try {
    sample = await startSampleApp({ port: httpPort, logger: demo ? new DemoLogger() : undefined });
  } catch (error) {
    // A SettingError says all there is to say; the handler at the bottom prints it.
    if (!(error instanceof SettingError)) logger.error(startFailure(error, broker, localServer));
    await localServer?.stop();
    throw error;
  }

  // Order matters: the app drains its consumers while the broker is still there to ack to.
  const shutdown = async (): Promise<void> => {
    await sample.app.close();
    await localServer?.stop();
  };

  if (demo) {
    logger.log(`the app is on ${sample.url}, messages through ${describeBroker(broker, localServer)}`);
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

  printUsage(sample.url, describeBroker(broker, localServer), localServer !== undefined, sample.app.get(PaymentGateway).limit);
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

function describeBroker(broker: Broker, localServer: LocalSqsServer | undefined): string {
  if (broker === 'rabbitmq') return `RabbitMQ at ${redactedUrl(rabbitMqUrlSetting(process.env[RABBITMQ_URL_SETTING]))}`;
  const endpoint = process.env[SQS_ENDPOINT_SETTING];
  if (localServer) return `the embedded SQS/SNS server at ${localServer.endpoint}`;
  if (endpoint === AWS_ENDPOINT) return `AWS SQS/SNS (${process.env.AWS_REGION ?? 'region from the AWS SDK chain'})`;
  return `the SQS/SNS endpoint ${endpoint}`;
}

/** What to do about an app that did not start, from where its messages were to go. */
function startFailure(error: unknown, broker: Broker, localServer: LocalSqsServer | undefined): string {
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') return 'the HTTP port is taken: set PORT to another one, or PORT=0 for any free port';
  const where = describeBroker(broker, localServer);
  if (broker === 'rabbitmq') {
    return (
      `the app did not start; its messages go through ${where} (${RABBITMQ_URL_SETTING}). Is RabbitMQ running there? ` +
      `Start it with "rabbitmq-server -detached", or "docker run -d -p 127.0.0.1:5672:5672 rabbitmq:4", or set ${RABBITMQ_URL_SETTING} to yours`
    );
  }
  return `the app did not start; its messages go through ${where}, check ${SQS_ENDPOINT_SETTING} and AWS_REGION`;
}

/** Plain console output, not the logger: these lines are meant to be copied. */
function printUsage(url: string, broker: string, embeddedServer: boolean, paymentLimit: number): void {
  const order = (customer: string, sku: string, price: number): string =>
    `curl -s -X POST ${url}/orders -H 'content-type: application/json' ` +
    `-d '{"customer":"${customer}","items":[{"sku":"${sku}","quantity":1,"price":${price}}]}'`;
  console.log(
    [
      '',
      `Sample app on ${url}, messages through ${broker}.`,
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
      `Ctrl-C drains the consumers and stops the app${embeddedServer ? ', then the embedded server' : ''}.`,
      '',
    ].join('\n'),
  );
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // A setting that is wrong is said in one line: its stack would only bury it.
    logger.error(error instanceof SettingError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  },
);
