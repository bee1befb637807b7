import type { DispatchTable } from '../consuming/dispatch-table';
import type { MelangeModuleOptions } from '../melange.options';
import type { QueueRole } from './admin.types';

/** A queue the application knows of, before the broker is asked about it. */
export interface KnownQueue {
  readonly backend: string;
  readonly queue: string;
  readonly roles: Set<QueueRole>;
  readonly deadLetterFor: Set<string>;
  consumer?: { readonly manifests: readonly string[]; readonly concurrency: number };
}

/** Every queue the application declares or consumes, and the dead-letter queues those name, by backend. */
export class QueueCatalog {
  private readonly queues = new Map<string, KnownQueue>();

  constructor(options: MelangeModuleOptions, defaultBackend: string, tables: readonly DispatchTable[]) {
    for (const spec of options.infrastructure?.queues ?? []) {
      const backend = spec.backend ?? defaultBackend;
      this.entry(backend, spec.name).roles.add('declared');
      if (spec.deadLetterQueue) this.addDeadLetter(backend, spec.deadLetterQueue, spec.name);
    }
    for (const table of tables) {
      const entry = this.entry(table.backend, table.queue);
      entry.roles.add('consumed');
      entry.consumer = { manifests: table.manifests(), concurrency: table.concurrency };
    }
  }

  all(): KnownQueue[] {
    return [...this.queues.values()];
  }

  get(backend: string, queue: string): KnownQueue | undefined {
    return this.queues.get(key(backend, queue));
  }

  /** The backends naming a queue of this name; used when the caller names no backend. */
  backendsOf(queue: string): string[] {
    return this.all().filter((entry) => entry.queue === queue).map((entry) => entry.backend);
  }

  addDeadLetter(backend: string, deadLetterQueue: string, source: string): KnownQueue {
    const entry = this.entry(backend, deadLetterQueue);
    entry.roles.add('dead-letter');
    entry.deadLetterFor.add(source);
    return entry;
  }

  private entry(backend: string, queue: string): KnownQueue {
    let entry = this.queues.get(key(backend, queue));
    if (!entry) {
      entry = { backend, queue, roles: new Set(), deadLetterFor: new Set() };
      this.queues.set(key(backend, queue), entry);
    }
    return entry;
  }
}

function key(backend: string, queue: string): string {
  return JSON.stringify([backend, queue]);
}
