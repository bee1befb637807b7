import { BackendConfigurationError, UnknownBackendError } from '../errors';
import { InMemoryBackend } from './in-memory/in-memory.backend';
import type { MessagingBackend } from './messaging-backend';

/** The brokers one application talks to, by name. */
export class BackendRegistry {
  private readonly backends: ReadonlyMap<string, MessagingBackend>;
  readonly defaultName: string;

  constructor(backends: Readonly<Record<string, MessagingBackend>> | undefined, defaultName?: string) {
    this.backends = new Map(Object.entries(backends ?? { default: new InMemoryBackend() }));
    const names = [...this.backends.keys()];
    if (names.length === 0) {
      throw new BackendConfigurationError('MelangeModule "backends" is empty; configure at least one backend.');
    }
    this.defaultName = defaultName ?? (names.length === 1 ? names[0] : 'default');
    if (!this.backends.has(this.defaultName)) {
      throw new BackendConfigurationError(
        `The default backend "${this.defaultName}" is not among the configured backends (${names.join(', ')}). ` +
          `Set MelangeModule's "defaultBackend" to one of them.`,
      );
    }
  }

  /** The named backend, or the default one; `usedBy` says who asked, for the error message. */
  get(name: string | undefined, usedBy: string): MessagingBackend {
    const backend = this.find(name);
    if (!backend) throw new UnknownBackendError(name ?? this.defaultName, usedBy, [...this.backends.keys()]);
    return backend;
  }

  /** The named backend, or the default one; undefined when there is none of that name. */
  find(name: string | undefined): MessagingBackend | undefined {
    return this.backends.get(name ?? this.defaultName);
  }

  /** `messaging.system` for traces: what the backend says it is, else its name here. */
  systemOf(name: string | undefined): string {
    return this.backends.get(name ?? this.defaultName)?.system ?? name ?? this.defaultName;
  }

  names(): string[] {
    return [...this.backends.keys()];
  }

  all(): MessagingBackend[] {
    return [...this.backends.values()];
  }
}
