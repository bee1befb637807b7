import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { BackendRegistry } from '../backends/backend-registry';
import { RetryPolicy } from '../consuming/retry-policy';
import { MELANGE_STARTUP_OVERRIDES, type StartupOverrides } from '../consuming/startup-overrides';
import { MessageRejectedError, OutboxConfigurationError, describeThrown } from '../errors';
import { MELANGE_MODULE_OPTIONS, type MelangeModuleOptions } from '../melange.options';
import { MelangeEvents } from '../observability/melange-events';
import type { OutboxDatabase } from './outbox-database';
import type { OutboxRelayOptions } from './outbox.options';
import { OUTBOX_CHANNEL } from './outbox-schema';
import { Inbox } from './inbox';
import { OutboxStore, type ClaimedMessage } from './outbox-store';

const LISTEN_RETRY_MS = 30_000;
const CLEANUP_INTERVAL_MS = 60_000;
const DEFAULT_INBOX_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
const DEFAULTS = { batchSize: 100, pollIntervalMs: 1000, leaseMs: 60_000, initialDelayMs: 1000, maxDelayMs: 60_000 } as const;

/**
 * Moves committed outbox rows to the broker: claims a batch, sends it through the same backends
 * `publish()` uses, then deletes (or marks) what was sent and backs off what was not. Started
 * with the application and drained at shutdown, before the backends close.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('MelangeOutbox');
  private readonly autoStart: boolean;
  private readonly settings: Required<Omit<OutboxRelayOptions, 'retry' | 'keepSentMs'>> & { keepSentMs?: number };
  private readonly backoff: RetryPolicy;
  private readonly database?: OutboxDatabase;
  private readonly store?: OutboxStore;
  private readonly inbox?: Inbox;
  private readonly inboxRetentionMs: number;
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private unlisten?: () => Promise<void>;
  private listening = false;
  /** When LISTEN last failed; it is tried again after LISTEN_RETRY_MS, polling meanwhile. */
  private listenFailedAt?: number;
  private failing = false;
  private lastCleanupAt = 0;

  constructor(
    @Inject(MELANGE_MODULE_OPTIONS) options: MelangeModuleOptions,
    private readonly backends: BackendRegistry,
    private readonly events: MelangeEvents,
    @Optional() @Inject(MELANGE_STARTUP_OVERRIDES) overrides: StartupOverrides = {},
  ) {
    const outbox = options.outbox;
    const relay = outbox?.relay === false ? {} : (outbox?.relay ?? {});
    this.autoStart = outbox !== undefined && outbox.relay !== false && (overrides.startOutboxRelay ?? true);
    this.backoff = new RetryPolicy({ initialDelayMs: DEFAULTS.initialDelayMs, maxDelayMs: DEFAULTS.maxDelayMs, ...relay.retry });
    this.settings = {
      batchSize: relay.batchSize ?? DEFAULTS.batchSize,
      pollIntervalMs: relay.pollIntervalMs ?? DEFAULTS.pollIntervalMs,
      listen: relay.listen ?? true,
      leaseMs: relay.leaseMs ?? DEFAULTS.leaseMs,
      keepSentMs: relay.keepSentMs,
    };
    this.inboxRetentionMs = outbox?.inboxRetentionMs ?? DEFAULT_INBOX_RETENTION_MS;
    if (!outbox) return;
    this.database = outbox.database;
    this.store = new OutboxStore(outbox.schema ?? 'public');
    if (outbox.database.transaction) this.inbox = new Inbox(outbox.database, outbox.schema ?? 'public');
  }

  onApplicationBootstrap(): void {
    if (!this.autoStart) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Lets the round in progress finish, so nothing it sent is left unrecorded. */
  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.stopListening();
  }

  /** Relays until no row is due; for tests, scripts and the CLI. Resolves with the number of rows sent. */
  async drain(): Promise<number> {
    if (!this.store || !this.database) throw new OutboxConfigurationError('Draining the outbox needs MelangeModule\'s "outbox" option');
    let sent = 0;
    for (;;) {
      const round = await this.relayRound();
      sent += round.sent;
      if (round.claimed === 0) return sent;
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      let claimed = 0;
      try {
        await this.ensureListening();
        ({ claimed } = await this.relayRound());
        if (this.failing) this.logger.log('The outbox database answers again; relaying resumes');
        this.failing = false;
      } catch (error) {
        if (!this.failing) this.logger.error(`The outbox relay cannot reach its database; it keeps trying: ${describeThrown(error)}`);
        this.failing = true;
      }
      if (!this.running) return;
      // A round that found rows goes straight on: the rest of a backlog, or the next message of
      // each FIFO group, is due now. Rows that failed are not due again before their backoff.
      if (claimed === 0 || this.failing) await this.idle(this.settings.pollIntervalMs);
    }
  }

  private async relayRound(): Promise<{ claimed: number; sent: number }> {
    const database = this.database!;
    const store = this.store!;
    const { batchSize, leaseMs, keepSentMs } = this.settings;
    const claimed = await store.claim(database, batchSize, leaseMs);
    if (claimed.length === 0) {
      await this.cleanUp(database, store, keepSentMs);
      return { claimed: 0, sent: 0 };
    }
    const outcomes = await Promise.all(claimed.map((message) => this.send(message)));
    const sent = claimed.filter((_, index) => outcomes[index] === undefined);
    const failed = claimed.flatMap((message, index) => {
      const error = outcomes[index];
      return error === undefined ? [] : [{ message, error }];
    });
    await store.markSent(database, sent.map((message) => message.id), keepSentMs !== undefined);
    const failures = failed.map(({ message, error }) => ({
      id: message.id,
      // Refused before any request (too large, bad attributes): sending again cannot help.
      delayMs: error instanceof MessageRejectedError ? null : this.backoff.delayAfter(message.failures + 1),
      error: describeThrown(error),
    }));
    await store.markFailed(database, failures);
    for (const message of sent) {
      this.events.emit('outbox-relayed', {
        ...eventOf(message),
        durationMs: Date.now() - message.createdAt,
        possibleDuplicate: message.possibleDuplicate,
      });
    }
    failures.forEach((failure, index) => {
      const { message, error } = failed[index];
      this.events.emit('outbox-relay-failed', { ...eventOf(message), error, failures: message.failures + 1, delayMs: failure.delayMs });
    });
    if (failed.length > 0) this.logFailures(failed.map(({ message }) => message), failures);
    return { claimed: claimed.length, sent: sent.length };
  }

  /** Resolves with the error when the send failed, so one bad row does not hold back the batch. */
  private async send(message: ClaimedMessage): Promise<unknown> {
    try {
      const backend = this.backends.get(message.backend, `Outbox row ${message.id}`);
      await (message.kind === 'queue'
        ? backend.send(message.destination, message.envelope, message.options)
        : backend.publish(message.destination, message.envelope, message.options));
      return undefined;
    } catch (error) {
      return error ?? new Error('send failed without an error');
    }
  }

  private logFailures(messages: readonly ClaimedMessage[], failures: ReadonlyArray<{ delayMs: number | null; error: string }>): void {
    const parked = failures.filter((failure) => failure.delayMs === null).length;
    const first = messages[0];
    this.logger.warn(
      `${messages.length} outbox message(s) could not be sent (first: row ${first.id}, message ${first.envelope.messageId} to ` +
        `${first.kind} "${first.destination}": ${failures[0].error}); they are retried with backoff` +
        (parked > 0
          ? `, except ${parked} the broker can never accept, which stay in the outbox with available_at = 'infinity' and their error in last_error until you fix and reset them`
          : ''),
    );
  }

  /** At most once a minute, when idle: sent rows past `keepSentMs`, inbox keys past their retention. */
  private async cleanUp(database: OutboxDatabase, store: OutboxStore, keepSentMs: number | undefined): Promise<void> {
    if (Date.now() - this.lastCleanupAt < CLEANUP_INTERVAL_MS) return;
    this.lastCleanupAt = Date.now();
    if (keepSentMs !== undefined) await store.deleteSentBefore(database, keepSentMs);
    await this.inbox?.prune(this.inboxRetentionMs);
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async ensureListening(): Promise<void> {
    const listen = this.database?.listen;
    if (this.listening || !this.settings.listen || !listen) return;
    if (this.listenFailedAt !== undefined && Date.now() - this.listenFailedAt < LISTEN_RETRY_MS) return;
    try {
      this.unlisten = await listen.call(
        this.database,
        OUTBOX_CHANNEL,
        () => this.wake?.(),
        (error) => {
          this.listening = false;
          this.listenFailedAt = Date.now();
          this.logger.warn(`The outbox relay lost its LISTEN connection; it polls every ${this.settings.pollIntervalMs} ms until it listens again: ${describeThrown(error)}`);
        },
      );
      if (this.listenFailedAt !== undefined) this.logger.log('The outbox relay listens for new rows again');
      this.listening = true;
      this.listenFailedAt = undefined;
    } catch (error) {
      if (this.listenFailedAt === undefined) {
        this.logger.warn(`The outbox relay cannot LISTEN; it polls every ${this.settings.pollIntervalMs} ms and tries again: ${describeThrown(error)}`);
      }
      this.listenFailedAt = Date.now();
    }
  }

  private async stopListening(): Promise<void> {
    const unlisten = this.unlisten;
    this.unlisten = undefined;
    this.listening = false;
    await unlisten?.().catch(() => undefined);
  }
}

function eventOf(message: ClaimedMessage) {
  return { messageId: message.envelope.messageId, manifest: message.envelope.manifest, backend: message.backend, destination: message.destination };
}
