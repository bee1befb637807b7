// Helpers shared by the fault specs: a consumer child process whose stdout the spec can read, and a
// publisher app in the spec process.
import 'reflect-metadata';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Test } from '@nestjs/testing';
import type { INestApplicationContext } from '@nestjs/common';
import { MelangeModule, MelangePublisher, SqsBackend, type QueueSpec } from '../../lib';
import { work } from '../fixtures/fault-work';
import { CREDENTIALS, REGION, silentLogger, sqsEndpoint, waitFor } from '../support/sqs';

const FIXTURE = join(__dirname, '../fixtures/fault-consumer.ts');

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Date.now() when the process exited. */
  readonly at: number;
}

/** One run of test/fixtures/fault-consumer.ts; see that file for the environment it reads. */
export class ConsumerProcess {
  readonly lines: string[] = [];
  private stderr = '';
  private partial = '';
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;
  private readonly child: ChildProcessByStdio<null, Readable, Readable>;

  constructor(readonly label: string, env: Record<string, string>) {
    this.child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', FIXTURE], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout.on('data', (chunk: Buffer) => {
      const text = this.partial + chunk.toString('utf8');
      const parts = text.split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts);
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
    this.exited = new Promise<Exit>((resolve) =>
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal, at: Date.now() };
        resolve(this.exit);
      }),
    );
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** What the process wrote on stderr (Nest's errors and warnings), for failure messages. */
  get errors(): string {
    return this.stderr;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  async waitForLine(line: string, timeoutMs: number): Promise<void> {
    await waitFor(() => this.lines.includes(line) || !this.running, timeoutMs, `"${line}" from ${this.label}`);
    if (!this.lines.includes(line)) {
      throw new Error(`${this.label} exited (${JSON.stringify(this.exit)}) before printing "${line}"; stderr: ${this.stderr.slice(-2000)}`);
    }
  }

  /** Ends the process if a spec failed half-way, so Jest is not kept waiting for it. */
  async stopNow(): Promise<void> {
    this.kill('SIGKILL');
    await this.exited;
  }
}

/** A publish-only app in the spec process, straight to the server (never through a fault proxy). */
export class FaultPublisher {
  private constructor(
    private readonly app: INestApplicationContext,
    readonly publisher: MelangePublisher,
  ) {}

  /** Declares `queues` (with autoCreate) and starts no consumer. */
  static async create(queues: readonly QueueSpec[]): Promise<FaultPublisher> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: {
            default: new SqsBackend({ region: REGION, endpoint: sqsEndpoint(), credentials: CREDENTIALS, waitTimeSeconds: 1, logger: silentLogger }),
          },
          infrastructure: { queues },
          startConsumers: false,
        }),
      ],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    return new FaultPublisher(app, app.get(MelangePublisher));
  }

  /** Publishes one FaultWork per id, 200 at a time; concurrent sends are coalesced into SendMessageBatch. */
  async publishIds(queue: string, ids: readonly string[]): Promise<void> {
    for (let start = 0; start < ids.length; start += 200) {
      await this.publisher.publishBatch(ids.slice(start, start + 200).map(work), { queue });
    }
  }

  close(): Promise<void> {
    return this.app.close();
  }
}

export function ids(count: number, prefix = ''): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}${index}`);
}

/** How many times each id occurs. */
export function tally(values: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}
