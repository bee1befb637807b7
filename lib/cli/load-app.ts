import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { Global, Module, type DynamicModule, type INestApplicationContext, type LoggerService, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MELANGE_STARTUP_OVERRIDES, type StartupOverrides } from '../consuming/startup-overrides';
import { CliUsageError as UsageError } from '../errors';

/** The CLI's configuration file, looked for in the working directory when `--config` is not given. */
export const DEFAULT_CONFIG_FILE = 'melange.config.json';

export interface AppSource {
  /** Path to the compiled (or, with ts-node installed, TypeScript) file that exports the app module. */
  readonly module: string;
  /** The export to use; default `AppModule`, else the default export, else the one @Module class exported. */
  readonly exportName?: string;
}

export interface LoadOptions {
  readonly module?: string;
  readonly export?: string;
  readonly config?: string;
  readonly verbose?: boolean;
}

/** `--module` wins; otherwise `--config`, or melange.config.json when it exists. */
export function appSource(options: LoadOptions, cwd = process.cwd()): AppSource {
  if (options.module) return { module: resolve(cwd, options.module), exportName: options.export };
  const configPath = options.config ? resolve(cwd, options.config) : resolve(cwd, DEFAULT_CONFIG_FILE);
  if (!existsSync(configPath)) {
    throw new UsageError(
      options.config
        ? `config file ${configPath} does not exist`
        : `say which module to load: --module dist/app.module.js, or a ${DEFAULT_CONFIG_FILE} with {"module": "dist/app.module.js"}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (error) {
    throw new UsageError(`config file ${configPath} is not valid JSON: ${String(error)}`);
  }
  const config = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { module?: unknown; export?: unknown };
  if (typeof config.module !== 'string') throw new UsageError(`config file ${configPath} needs a "module" string: the file that exports the app module`);
  const base = resolve(configPath, '..');
  return {
    module: isAbsolute(config.module) ? config.module : resolve(base, config.module),
    exportName: options.export ?? (typeof config.export === 'string' ? config.export : undefined),
  };
}

function isNestModule(value: unknown): value is Type<unknown> {
  return typeof value === 'function' && ['imports', 'providers', 'controllers', 'exports'].some((key) => Reflect.getMetadata(key, value) !== undefined);
}

/** Lets `node` require a TypeScript module when ts-node is installed and nothing registered a loader yet. */
function allowTypeScript(path: string): void {
  if (!/\.[cm]?ts$/.test(path) || require.extensions['.ts']) return;
  let tsNode: string;
  try {
    tsNode = require.resolve('ts-node', { paths: [process.cwd(), path] });
  } catch {
    throw new UsageError(`${path} is TypeScript and ts-node is not installed: build the app and pass the .js file, or install ts-node`);
  }
  (require(tsNode) as { register(options: object): void }).register({ transpileOnly: true });
}

export function findModule(source: AppSource): Type<unknown> {
  if (!existsSync(source.module)) throw new UsageError(`module file ${source.module} does not exist (build the app first?)`);
  allowTypeScript(source.module);
  const exports = require(source.module) as Record<string, unknown>;
  if (source.exportName !== undefined) {
    const named = exports[source.exportName];
    if (!isNestModule(named)) throw new UsageError(`${source.module} exports no Nest module named "${source.exportName}"`);
    return named;
  }
  const preferred = exports.AppModule ?? exports.default;
  if (isNestModule(preferred)) return preferred;
  const unique = [...new Set(Object.values(exports).filter(isNestModule))];
  if (unique.length === 1) return unique[0]!;
  throw new UsageError(
    unique.length === 0
      ? `${source.module} exports no Nest module (a class marked @Module)`
      : `${source.module} exports several Nest modules (${unique.map((type) => type.name).join(', ')}): choose one with --export`,
  );
}

/** Nest's own log lines go to stderr, so stdout holds only the command's output (`--json` stays parseable). */
class StderrLogger implements LoggerService {
  constructor(private readonly chatty: boolean) {}
  log(message: unknown): void {
    if (this.chatty) this.write('LOG', message);
  }
  warn(message: unknown): void {
    this.write('WARN', message);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('ERROR', [message, ...rest.filter((part) => typeof part === 'string' && part.includes('\n'))].join('\n'));
  }
  debug(message: unknown): void {
    if (this.chatty) this.write('DEBUG', message);
  }
  verbose(message: unknown): void {
    if (this.chatty) this.write('VERBOSE', message);
  }
  private write(level: string, message: unknown): void {
    process.stderr.write(`[nestjs-melange ${level}] ${String(message)}\n`);
  }
}

/**
 * Boots the application without starting its consumers or declaring anything (a global provider
 * the orchestrator reads overrides the module's options), so operating it never competes with the
 * running service for messages and `declare --dry-run` changes nothing. The app's own code is
 * unchanged: its providers are built as usual, connections included.
 */
export async function loadApp(options: LoadOptions): Promise<INestApplicationContext> {
  const appModule = findModule(appSource(options));
  const overrides: StartupOverrides = { startConsumers: false, autoCreate: false, startOutboxRelay: false };

  @Global()
  @Module({ providers: [{ provide: MELANGE_STARTUP_OVERRIDES, useValue: overrides }], exports: [MELANGE_STARTUP_OVERRIDES] })
  class MelangeCliOverrides {}

  class MelangeCliContext {}
  const root: DynamicModule = { module: MelangeCliContext, imports: [appModule, MelangeCliOverrides] };
  return NestFactory.createApplicationContext(root, { logger: new StderrLogger(options.verbose ?? false), abortOnError: false });
}
