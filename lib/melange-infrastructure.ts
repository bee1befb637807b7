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

  async declare(): Promise<void> {
    const { queues = [], topics = [], subscriptions = [] } = this.options.infrastructure ?? {};
    // Dead-letter queues first, since a queue's redrive policy names its dead-letter queue; topics
    // before the subscriptions that name them.
    const ordered = [...queues].sort((a, b) => Number(Boolean(a.deadLetterQueue)) - Number(Boolean(b.deadLetterQueue)));
    for (const queue of ordered) {
      await this.on(queue.backend, `queue "${queue.name}"`, (backend) => backend.declareQueue(queue));
    }
    for (const topic of topics) {
      await this.on(topic.backend, `topic "${topic.name}"`, (backend) => backend.declareTopic(topic));
    }
    for (const subscription of subscriptions) {
      const what = `the subscription of queue "${subscription.queue}" to topic "${subscription.topic}"`;
      await this.on(subscription.backend, what, (backend) => backend.declareSubscription(subscription));
    }
    // Buckets for offloaded payloads, where an SqsBackend's payloadOffloading asks for it (declareBucket).
    for (const name of this.backends.names()) {
      await this.on(name, 'the payload bucket', (backend) => (backend instanceof SqsBackend ? backend.declarePayloadBucket() : Promise.resolve()));
    }
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
