import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { INestApplicationContext } from '@nestjs/common';
import type { MelangeAdmin } from '../admin/melange-admin';
import type { RedriveFilter } from '../admin/admin.types';
import { CliUsageError, describeThrown } from '../errors';
import type { LoadOptions } from './load-app';
import { ProgressBar } from './progress-bar';
import { renderDeadLetters, renderPlan, renderQueues, renderRedrive } from './render';

/** 0: done; 1: the operation failed (the broker, the app, a message that did not move); 2: called wrongly. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

interface GlobalOptions extends LoadOptions {
  readonly json?: boolean;
  readonly backend?: string;
}

interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return parsed;
}

function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError('expected a number above 0');
  return parsed;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * Runs one command against the app; the app is closed whatever happens. Nest and the app are
 * loaded only here, so a usage error is answered at once.
 */
async function withAdmin<T>(options: GlobalOptions, run: (admin: MelangeAdmin, app: INestApplicationContext) => Promise<T>): Promise<T> {
  const { loadApp } = await import('./load-app');
  const { MelangeAdmin: AdminClass } = await import('../admin/melange-admin');
  const app = await loadApp(options);
  try {
    let admin: MelangeAdmin;
    try {
      admin = app.get(AdminClass, { strict: false });
    } catch {
      throw new Error(
        'the application has no MelangeAdmin: it imports no MelangeModule, or another copy of nestjs-melange than this CLI (run the CLI of the project\'s own node_modules)',
      );
    }
    return await run(admin, app);
  } finally {
    await app.close();
  }
}

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('nestjs-melange')
    .description('Operate the queues of a NestJS app that uses nestjs-melange: counts, dead letters, redrive, declarations.')
    .option('-m, --module <file>', 'the compiled file exporting the app module, e.g. dist/app.module.js')
    .option('-e, --export <name>', 'the export of that file to load (default: AppModule, the default export, or the only @Module)')
    .option('-c, --config <file>', 'a JSON file with {"module", "export"} (default: ./melange.config.json)')
    .option('--backend <name>', 'the backend holding the queue, when the app has several')
    .option('--json', 'print JSON for scripts instead of a table')
    .option('--verbose', 'print the app\'s own log lines (on stderr)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  const print = (options: GlobalOptions, json: unknown, text: () => string): void => io.out(options.json ? `${JSON.stringify(json, null, 2)}\n` : `${text()}\n`);

  program
    .command('queues')
    .description('every queue the app declares or consumes, its dead-letter queue and its message counts')
    .action(async (_options: object, command: Command) => {
      const options = command.optsWithGlobals<GlobalOptions>();
      const queues = await withAdmin(options, (admin) => admin.queues());
      print(options, queues, () => renderQueues(queues));
      const unread = queues.filter((queue) => queue.error !== undefined);
      if (unread.length > 0) {
        io.err(`error: ${unread.length} queue(s) could not be read: ${unread.map((queue) => `${queue.queue} (${queue.error})`).join('; ')}\n`);
        setExit(EXIT.failure);
      }
    });

  const dlq = program.command('dlq').description('dead-letter queues: peek at messages, move them back');
  dlq
    .command('peek <queue>')
    .description('show up to --max messages of the dead-letter queue (of <queue>, or <queue> itself) without removing them; each peek counts as a receive')
    .addOption(new Option('--max <count>', 'most messages to show').argParser(positiveInteger).default(10))
    .option('--payloads', 'include payloads (they may hold personal data)')
    .action(async (queue: string, _options: object, command: Command) => {
      const options = command.optsWithGlobals<GlobalOptions & { max: number; payloads?: boolean }>();
      const messages = await withAdmin(options, (admin) =>
        admin.peekDeadLetters(queue, { max: options.max, backend: options.backend, includePayloads: options.payloads ?? false }),
      );
      print(options, messages, () => renderDeadLetters(queue, messages, options.payloads ?? false));
    });

  dlq
    .command('redrive <queue>')
    .description('move messages from the dead-letter queue (of <queue>, or <queue> itself) back to their source queue')
    .option('--to <queue>', 'send every message here instead of to its source queue')
    .addOption(new Option('--max-per-second <rate>', 'most messages sent per second').argParser(positiveNumber))
    .addOption(new Option('--limit <count>', 'stop after this many moved').argParser(positiveInteger))
    .option('--manifest <manifest>', 'only messages of this type (repeatable)', collect)
    .option('--message-id <id>', 'only this message (repeatable)', collect)
    .option('--reason <text>', 'only messages whose dead-letter reason contains this text')
    .action(async (queue: string, _options: object, command: Command) => {
      const options = command.optsWithGlobals<GlobalOptions & { to?: string; maxPerSecond?: number; limit?: number; manifest?: string[]; messageId?: string[]; reason?: string }>();
      const filter: RedriveFilter | undefined =
        options.manifest || options.messageId || options.reason !== undefined
          ? { manifest: options.manifest, messageId: options.messageId, reason: options.reason }
          : undefined;
      const result = await withAdmin(options, async (admin) => {
        const rows = await admin.queues();
        const total = rows.find((row) => row.queue === queue)?.counts?.visible ?? 0;
        const bar = new ProgressBar(total);
        const controller = new AbortController();
        const stop = () => controller.abort();
        process.once('SIGINT', stop);
        try {
          return await admin.redrive(queue, {
            to: options.to,
            maxPerSecond: options.maxPerSecond,
            limit: options.limit,
            filter,
            backend: options.backend,
            signal: controller.signal,
            onProgress: (progress) => bar.update(progress),
          });
        } finally {
          process.removeListener('SIGINT', stop);
          bar.finish();
        }
      });
      print(options, result, () => renderRedrive(result));
      if (result.failed > 0) setExit(EXIT.failure);
    });

  program
    .command('declare')
    .description('create or update the queues, topics and subscriptions the app declares')
    .option('--dry-run', 'only print what would be created or changed, policies as diffs')
    .action(async (_options: object, command: Command) => {
      const options = command.optsWithGlobals<GlobalOptions & { dryRun?: boolean }>();
      await withAdmin(options, async (admin, app) => {
        const plans = await admin.planDeclaration();
        const { MelangeInfrastructure } = await import('../melange-infrastructure');
        if (!options.dryRun) await app.get(MelangeInfrastructure, { strict: false }).declare();
        print(options, { applied: !options.dryRun, plans }, () => renderPlan(plans, !options.dryRun));
      });
    });

  program
    .command('purge <queue>')
    .description('delete every message on <queue>; cannot be undone')
    .requiredOption('--confirm <queue>', 'the queue\'s name again')
    .action(async (queue: string, _options: object, command: Command) => {
      const options = command.optsWithGlobals<GlobalOptions & { confirm: string }>();
      if (options.confirm !== queue) throw new CliUsageError(`--confirm must repeat the queue's name, "${queue}", to purge it`);
      await withAdmin(options, (admin) => admin.purge(queue, { confirm: options.confirm, backend: options.backend }));
      print(options, { purged: queue }, () => `Purged "${queue}".`);
    });

  return program;
}

/** Parses `argv` (as process.argv) and runs the command; resolves to the exit code. */
export async function runCli(argv: readonly string[], io: Io = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) }): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram(io, (code) => (exitCode = code));
  if (argv.length <= 2) {
    io.err(program.helpInformation());
    return EXIT.usage;
  }
  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof CliUsageError) {
      io.err(`error: ${error.message}\n(run with --help for usage)\n`);
      return EXIT.usage;
    }
    io.err(`error: ${describeThrown(error)}\n`);
    return EXIT.failure;
  }
}
