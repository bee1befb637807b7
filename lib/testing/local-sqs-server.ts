import { spawn, type ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import { LocalServerError } from '../errors';
import { locateFauxqs, recommendedFauxqs } from './fauxqs-package';

export interface LocalSqsServerOptions {
  /** 0 or absent: a free port chosen by the system. */
  readonly port?: number;
  /** A loopback address; default 127.0.0.1. */
  readonly host?: string;
  /** Milliseconds to wait for the server to listen. Default 15000. */
  readonly startTimeoutMs?: number;
  /**
   * The package to load fauxqs from; default `fauxqs`. An npm alias (`"fauxqs-2": "npm:fauxqs@2.4.1"`)
   * lets one project keep a release per Node line and choose at run time.
   */
  readonly fauxqsPackage?: string;
}

export interface LocalSqsServer {
  /** Pass as the `endpoint` option of SqsBackend (or any AWS SDK client). */
  readonly endpoint: string;
  /** The fauxqs release serving it. */
  readonly fauxqsVersion: string;
  /** Stops the server; every queue, topic and message in it is gone. */
  stop(): Promise<void>;
}

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '::1']);

/*
 * fauxqs is ESM-only, and this library is CommonJS run by apps, Jest and plain Node alike; a child
 * process is the one way to load it that works in all three. The child's working directory is this
 * file's folder, so `import(specifier)` resolves through the same node_modules as this library.
 * Its stdin is a pipe from this process: when this process dies, however it dies, the pipe closes
 * and the server stops with it, so no orphan keeps the port.
 */
const CHILD_SCRIPT = `
const [specifier, host, port] = process.argv.slice(-3);
let app;
try {
  const { buildApp } = await import(specifier);
  app = buildApp({ logger: false });
  const address = await app.listen({ host, port: Number(port) });
  process.stdout.write(JSON.stringify({ address }) + '\\n');
} catch (error) {
  process.stdout.write(JSON.stringify({ code: String(error?.code ?? ''), message: String(error?.message ?? error) }) + '\\n');
  process.exit(1);
}
let closing = false;
const shutdown = () => {
  if (closing) return;
  closing = true;
  app.close().finally(() => process.exit(0));
};
process.stdin.on('end', shutdown);
process.stdin.on('error', shutdown);
process.stdin.resume();
process.on('SIGTERM', shutdown);
// Ctrl-C in a terminal reaches the whole process group: the parent drains its consumers first and
// then stops this server (or exits, which closes the pipe), so this one must not stop on SIGINT by itself.
process.on('SIGINT', () => undefined);
`;

interface ChildReport {
  readonly address?: string;
  readonly code?: string;
  readonly message?: string;
}

/**
 * Starts a local SQS + SNS server (fauxqs) on loopback, so trying the library or running its tests
 * needs neither Docker nor an AWS account. Any region and any credentials are accepted.
 *
 * Requires the `fauxqs` package installed next to this library, as a dev dependency: 2.4.1 on
 * Node 22.5 and later, 1.9.2 on Node 20 (fauxqs 2 needs node:sqlite).
 */
export async function startLocalSqsServer(options: LocalSqsServerOptions = {}): Promise<LocalSqsServer> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK_HOSTS.has(host)) {
    throw new LocalServerError(
      `The local SQS server only binds a loopback address (127.0.0.1, localhost, ::1), not "${host}": ` +
        'it accepts any credentials, so it must not be reachable from the network',
    );
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new LocalServerError(`The local SQS server port must be an integer from 0 to 65535, got ${port}`);
  }
  const fauxqs = locateFauxqs(options.fauxqsPackage ?? 'fauxqs', __dirname);
  const child = spawn(
    process.execPath,
    [...fauxqs.nodeOptions, '--input-type=module', '--eval', CHILD_SCRIPT, fauxqs.specifier, host, String(port)],
    {
      cwd: __dirname,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, FAUXQS_LOGGER: 'false' },
    },
  );
  const address = await waitUntilListening(child, fauxqs.specifier, options.startTimeoutMs ?? 15_000);
  // A forgotten stop() must not keep the parent alive: the pipe's closing stops the child anyway.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    if (stream instanceof Socket) {
      stream.unref();
    }
  }
  return {
    endpoint: address,
    fauxqsVersion: fauxqs.version,
    stop: () => stopChild(child),
  };
}

function waitUntilListening(child: ChildProcess, specifier: string, timeoutMs: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const fail = (reason: string): void => {
      cleanup();
      child.kill('SIGKILL');
      reject(new LocalServerError(`The local SQS server (fauxqs) did not start: ${reason}`));
    };
    const onData = (chunk: Buffer): void => {
      stdout += chunk.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline < 0) {
        return;
      }
      let report: ChildReport;
      try {
        report = JSON.parse(stdout.slice(0, newline)) as ChildReport;
      } catch {
        fail(`unexpected output ${JSON.stringify(stdout.slice(0, 200))}`);
        return;
      }
      if (report.address) {
        cleanup();
        child.stdout?.resume();
        resolve(report.address);
      } else if (report.code === 'ERR_MODULE_NOT_FOUND') {
        fail(
          `the "${specifier}" package could not be loaded (${report.message ?? ''}); ` +
            `reinstall it as a dev dependency (npm install --save-dev fauxqs@${recommendedFauxqs()})`,
        );
      } else {
        fail(`${report.code ?? ''} ${report.message ?? ''}`.trim());
      }
    };
    const onStderr = (chunk: Buffer): void => {
      stderr += chunk.toString('utf8');
    };
    const onExit = (code: number | null): void =>
      fail(`it exited with code ${code}${stderr ? `: ${stderr.trim().slice(0, 500)}` : ''}`);
    const onError = (error: Error): void => fail(error.message);
    const timer = setTimeout(() => fail(`it was not listening after ${timeoutMs} ms`), timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onStderr);
      child.stderr?.resume();
      child.off('exit', onExit);
      child.off('error', onError);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onStderr);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
