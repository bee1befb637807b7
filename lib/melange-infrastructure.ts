import { Inject, Injectable } from '@nestjs/common';
import { BackendRegistry } from './backends/backend-registry';
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
    // Dead-letter queues first, since a queue's redrive policy names its dead-letter queue.
    const ordered = [...queues].sort((a, b) => Number(Boolean(a.deadLetterQueue)) - Number(Boolean(b.deadLetterQueue)));
    for (const queue of ordered) await this.backends.get(queue.backend, `Queue "${queue.name}"`).declareQueue(queue);
    for (const topic of topics) await this.backends.get(topic.backend, `Topic "${topic.name}"`).declareTopic(topic);
    for (const subscription of subscriptions) {
      const usedBy = `Subscription of "${subscription.queue}" to "${subscription.topic}"`;
      await this.backends.get(subscription.backend, usedBy).declareSubscription(subscription);
    }
  }
}
