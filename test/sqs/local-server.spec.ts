import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startLocalSqsServer, type LocalSqsServer } from '../../lib/backends/sqs/local-server';
import { LocalServerError } from '../../lib/errors';
import { CREDENTIALS, REGION } from '../support/sqs';

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

  it('reports a port already in use', async () => {
    server = await startLocalSqsServer();
    const port = Number(new URL(server.endpoint).port);

    await expect(startLocalSqsServer({ port })).rejects.toThrow(/did not start: EADDRINUSE/);
  });
});
