import { Inject, Injectable } from '@nestjs/common';
import { BackendRegistry } from './backends/backend-registry';
import { SqsBackend } from './backends/sqs/sqs-backend';
import { InfrastructureDeclarationError } from './errors';
import { MELANGE_MODULE_OPTIONS, type MelangeModuleOptions } from './melange.options';

/**
 * Declares the queues, topics and subscriptions of MelangeModule's `infrastructure` option.
 * Runs at bootstrap when `autoCreate` is on; scripts and deploy steps can call `declare()` themselves.
 * Declaring is idempotent: running it again changes nothing.
 */
@Injectable()
export class MelangeInfrastructure {
  constructor(
    @Inject(MELANGE_MODULE_OPTIONS) private readonly options: MelangeModuleOptions,
    private readonly backends: BackendRegistry,
  ) {}

  /**
   * Declares in waves, each one's declarations at once (on AWS, twenty queues in series are
   * some forty round trips before the first receive): queues without a dead-letter queue, which
   * may be others' dead-letter queues; then queues with one, whose redrive policy names it; then
   * topics. Subscriptions come last, as they name both. A failure fails the wave, reporting the
   * first failed declaration in the order given.
   */
  async declare(): Promise<void> {
    const { queues = [], topics = [], subscriptions = [] } = this.options.infrastructure ?? {};
    const declareQueue = (queue: (typeof queues)[number]) => this.on(queue.backend, `queue "${queue.name}"`, (backend) => backend.declareQueue(queue));
    await allInOrder(queues.filter((queue) => !queue.deadLetterQueue).map(declareQueue));
    await allInOrder(queues.filter((queue) => queue.deadLetterQueue).map(declareQueue));
    await allInOrder(topics.map((topic) => this.on(topic.backend, `topic "${topic.name}"`, (backend) => backend.declareTopic(topic))));
    await allInOrder(
      subscriptions.map((subscription) =>
        this.on(subscription.backend, `the subscription of queue "${subscription.queue}" to topic "${subscription.topic}"`, (backend) =>
          backend.declareSubscription(subscription),
        ),
      ),
    );
    // Buckets for offloaded payloads, where an SqsBackend's payloadOffloading asks for it (declareBucket).
    await allInOrder(
      this.backends.names().map((name) =>
        this.on(name, 'the payload bucket', (backend) => (backend instanceof SqsBackend ? backend.declarePayloadBucket() : Promise.resolve())),
      ),
    );
  }

  private async on(
    name: string | undefined,
    what: string,
    declare: (backend: ReturnType<BackendRegistry['get']>) => Promise<void>,
  ): Promise<void> {
    const backendName = name ?? this.backends.defaultName;
    const backend = this.backends.get(backendName, what[0].toUpperCase() + what.slice(1));
    try {
      await declare(backend);
    } catch (error) {
      throw new InfrastructureDeclarationError(what, backendName, error);
    }
  }
}

/** Waits for every declaration of a wave, then fails with the first failure in the order they were given. */
async function allInOrder(declarations: ReadonlyArray<Promise<void>>): Promise<void> {
  const outcomes = await Promise.allSettled(declarations);
  const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}
