import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LocalServerError } from '../../lib/errors';
import { FAUXQS_FOR_NODE_20, FAUXQS_FOR_NODE_22, locateFauxqs, recommendedFauxqs } from '../../lib/testing/fauxqs-package';
import { localFauxqsPackage, startLocalSqsServer, type LocalSqsServer } from '../support/local-sqs-server';
import { CREDENTIALS, REGION, sleep } from '../support/sqs';

const LIBRARY_TESTING_DIR = join(__dirname, '../../lib/testing');
/** Whether this Node can run fauxqs 2 (node:sqlite). */
const RUNTIME_HAS_SQLITE = recommendedFauxqs() === FAUXQS_FOR_NODE_22;

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('startLocalSqsServer', () => {
  let server: LocalSqsServer | undefined;

  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('serves SQS on a free loopback port and stops on request', async () => {
    server = await startLocalSqsServer();
    const endpoint = new URL(server.endpoint);
    const client = new SQSClient({ region: REGION, endpoint: server.endpoint, credentials: CREDENTIALS });

    await expect(client.send(new ListQueuesCommand({}))).resolves.toBeDefined();
    expect(endpoint.hostname).toBe('127.0.0.1');
    expect(Number(endpoint.port)).toBeGreaterThan(0);

    await server.stop();
    server = undefined;
    expect(await canConnect('127.0.0.1', Number(endpoint.port))).toBe(false);
    client.destroy();
  });

  it('is not reachable on the machine’s network addresses', async () => {
    server = await startLocalSqsServer();
    const port = Number(new URL(server.endpoint).port);
    const external = Object.values(networkInterfaces())
      .flat()
      .find((address) => address?.family === 'IPv4' && !address.internal);

    expect(await canConnect('127.0.0.1', port)).toBe(true);
    if (external) {
      expect(await canConnect(external.address, port)).toBe(false);
    }
  });

  it('refuses to bind anything but loopback', async () => {
    await expect(startLocalSqsServer({ host: '0.0.0.0' })).rejects.toThrow(LocalServerError);
    await expect(startLocalSqsServer({ host: '0.0.0.0' })).rejects.toThrow(/only binds a loopback address/);
  });

  it('says which fauxqs release serves it: the one for this Node line', async () => {
    server = await startLocalSqsServer();

    expect(server.fauxqsVersion).toBe(localFauxqsPackage() === 'fauxqs-2' ? FAUXQS_FOR_NODE_22 : FAUXQS_FOR_NODE_20);
  });

  it('runs fauxqs 2 where Node has node:sqlite, and refuses it elsewhere naming the release to install', async () => {
    if (RUNTIME_HAS_SQLITE) {
      server = await startLocalSqsServer({ fauxqsPackage: 'fauxqs-2' });
      const client = new SQSClient({ region: REGION, endpoint: server.endpoint, credentials: CREDENTIALS });
      await expect(client.send(new ListQueuesCommand({}))).resolves.toBeDefined();
      expect(server.fauxqsVersion).toBe(FAUXQS_FOR_NODE_22);
      client.destroy();
    } else {
      const start = startLocalSqsServer({ fauxqsPackage: 'fauxqs-2' });
      await expect(start).rejects.toThrow(LocalServerError);
      await expect(start).rejects.toThrow(
        `fauxqs ${FAUXQS_FOR_NODE_22} needs Node.js 22.5 or later (it uses node:sqlite), and this is Node.js ${process.versions.node}: ` +
          `on Node 20 install fauxqs ${FAUXQS_FOR_NODE_20} instead (npm install --save-dev fauxqs@${FAUXQS_FOR_NODE_20}), or run on Node 22 or 24`,
      );
    }
  });

  it('checks the fauxqs release against the Node version before loading it', () => {
    expect(() => locateFauxqs('fauxqs-2', LIBRARY_TESTING_DIR, '20.19.0')).toThrow(/needs Node.js 22.5 or later/);
    expect(() => locateFauxqs('fauxqs-2', LIBRARY_TESTING_DIR, '22.4.1')).toThrow(/needs Node.js 22.5 or later/);
    // Node 22.5 to 22.12 have node:sqlite behind a flag only.
    expect(locateFauxqs('fauxqs-2', LIBRARY_TESTING_DIR, '22.5.0').nodeOptions).toEqual(['--experimental-sqlite']);
    expect(locateFauxqs('fauxqs-2', LIBRARY_TESTING_DIR, '22.12.0').nodeOptions).toEqual(['--experimental-sqlite']);
    expect(locateFauxqs('fauxqs-2', LIBRARY_TESTING_DIR, '22.13.0').nodeOptions).toEqual([]);
    expect(locateFauxqs('fauxqs-2', LIBRARY_TESTING_DIR, '24.0.0').nodeOptions).toEqual([]);
    expect(locateFauxqs('fauxqs', LIBRARY_TESTING_DIR, '20.19.0')).toEqual({ specifier: 'fauxqs', version: FAUXQS_FOR_NODE_20, nodeOptions: [] });
    expect(recommendedFauxqs('20.19.0')).toBe(FAUXQS_FOR_NODE_20);
    expect(recommendedFauxqs('24.1.0')).toBe(FAUXQS_FOR_NODE_22);
  });

  it('says how to install fauxqs when the package is missing, and refuses a package that is not fauxqs', async () => {
    await expect(startLocalSqsServer({ fauxqsPackage: 'fauxqs-not-installed' })).rejects.toThrow(
      `The local SQS server needs the "fauxqs-not-installed" package, which is not installed; ` +
        `on Node ${process.versions.node} add it as a dev dependency: npm install --save-dev fauxqs@${recommendedFauxqs()}`,
    );
    await expect(startLocalSqsServer({ fauxqsPackage: 'typescript' })).rejects.toThrow(/"typescript" is "typescript", not fauxqs/);
    await expect(startLocalSqsServer({ fauxqsPackage: '../../node_modules/fauxqs' })).rejects.toThrow(LocalServerError);
  });

  it('stops when the process that started it dies without stopping it', async () => {
    // A parent that starts the server and then is killed: no stop(), no exit handler runs.
    const script = [
      "const { startLocalSqsServer } = require('./lib/testing/local-sqs-server');",
      `startLocalSqsServer({ fauxqsPackage: ${JSON.stringify(localFauxqsPackage())} })`,
      "  .then((server) => { console.log(server.endpoint); setInterval(() => undefined, 60000); })",
      "  .catch((error) => { console.error(error); process.exit(1); });",
    ].join('\n');
    const parent = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
      cwd: join(__dirname, '../..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const endpoint = await new Promise<string>((resolve, reject) => {
        let output = '';
        parent.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString('utf8');
          if (output.includes('\n')) resolve(output.trim());
        });
        parent.once('exit', (code) => reject(new Error(`the parent exited with code ${code} before the server listened`)));
      });
      const port = Number(new URL(endpoint).port);
      expect(await canConnect('127.0.0.1', port)).toBe(true);

      parent.kill('SIGKILL');

      const deadline = Date.now() + 5000;
      let listening = true;
      while (listening && Date.now() < deadline) {
        await sleep(100);
        listening = await canConnect('127.0.0.1', port);
      }
      expect(listening).toBe(false);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('reports a port already in use', async () => {
    server = await startLocalSqsServer();
    const port = Number(new URL(server.endpoint).port);

    await expect(startLocalSqsServer({ port })).rejects.toThrow(/did not start: EADDRINUSE/);
  });
});
