import { startLocalSqsServer, type LocalSqsServer } from '../../lib/testing';
import { Admin } from './aws';

export interface Sizes {
  readonly mode: 'quick' | 'full';
  readonly rounds: number;
  /** Scenario 1: messages queued before each consume run. */
  readonly consume: number;
  /** Longest a consume run may take after its first message; slow contenders are rated on what they did by then. */
  readonly consumeCapMs: number;
  /** Scenario 1b: rounds (two runs per contender each, the second mostly time-capped: the longest scenario per round). */
  readonly unevenRounds: number;
  /** Scenario 2: messages published per run. */
  readonly publish: number;
  /** Scenario 3: messages per second, and seconds per run. */
  readonly latencyRate: number;
  readonly latencySeconds: number;
  /** Scenario 4: messages through the in-memory backend per run. */
  readonly dispatch: number;
  /** Scenario 5: backlog drained through the slow handler, and rounds. */
  readonly memory: number;
  readonly memoryRounds: number;
  readonly memoryHandlerMs: number;
  readonly memoryConcurrency: number;
}

export const QUICK: Sizes = {
  mode: 'quick',
  rounds: 2,
  consume: 2_000,
  consumeCapMs: 2_000,
  unevenRounds: 1,
  publish: 2_000,
  latencyRate: 100,
  latencySeconds: 2,
  dispatch: 20_000,
  memory: 5_000,
  memoryRounds: 1,
  memoryHandlerMs: 20,
  memoryConcurrency: 50,
};

export const FULL: Sizes = {
  mode: 'full',
  rounds: 5,
  consume: 20_000,
  consumeCapMs: 10_000,
  unevenRounds: 3,
  publish: 20_000,
  latencyRate: 100,
  latencySeconds: 10,
  dispatch: 200_000,
  memory: 50_000,
  memoryRounds: 2,
  memoryHandlerMs: 20,
  memoryConcurrency: 50,
};

/**
 * The local SQS/SNS server (fauxqs, in a child process of its own) for one scenario; in a contender
 * host (src/contender-host.ts), the parent's server, attached to by its endpoint.
 */
export class ServerScope {
  private server: LocalSqsServer | undefined;
  private attachedEndpoint: string | undefined;
  private adminClient: Admin | undefined;

  get endpoint(): string {
    const endpoint = this.server?.endpoint ?? this.attachedEndpoint;
    if (!endpoint) throw new Error('the local SQS server is not running');
    return endpoint;
  }

  get admin(): Admin {
    if (!this.adminClient) throw new Error('the local SQS server is not running');
    return this.adminClient;
  }

  async start(): Promise<void> {
    this.server = await startLocalSqsServer({ host: '127.0.0.1' });
    this.adminClient = new Admin(this.server.endpoint);
  }

  /** Uses a server another process started. */
  attach(endpoint: string): void {
    this.attachedEndpoint = endpoint;
    this.adminClient = new Admin(endpoint);
  }

  async stop(): Promise<void> {
    this.adminClient?.close();
    this.adminClient = undefined;
    this.attachedEndpoint = undefined;
    await this.server?.stop();
    this.server = undefined;
  }
}
