import { spawn, type ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import { freePort } from './ports';

/** Where the Redis specs find Redis: set by Jest's global setup, or from outside. */
export const REDIS_URL_ENV = 'REDIS_URL';

export interface LocalRedis {
  readonly url: string;
  stop(): Promise<void>;
}

function reachable(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(500);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.connect(port, host);
  });
}

/**
 * The Redis on 127.0.0.1:6379 when one runs there; otherwise a throwaway `redis-server` on a free
 * loopback port, keeping nothing on disk, so `npm test` needs no set-up beyond Redis being installed.
 */
export async function ensureLocalRedis(): Promise<LocalRedis> {
  if (await reachable(6379)) return { url: 'redis://127.0.0.1:6379', stop: async () => undefined };
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const failed = new Promise<never>((_, reject) =>
    child.once('error', (error) =>
      reject(new Error(`No Redis on 127.0.0.1:6379 and redis-server could not be started (${error.message}); install Redis or set ${REDIS_URL_ENV}.`)),
    ),
  );
  const deadline = Date.now() + 10_000;
  while (!(await Promise.race([reachable(port), failed]))) {
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on 127.0.0.1:${port} within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
    },
  };
}
