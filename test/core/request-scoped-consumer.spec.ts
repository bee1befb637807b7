import 'reflect-metadata';
import { Inject, Injectable, Scope, type INestApplication } from '@nestjs/common';
import { REQUEST } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { MelangeModule, MelangePublisher, MessageConsumer, OnMessage, type MessageContext } from '../../lib';
import { Recorder } from '../support/recorder';

class AuditRequested {
  constructor(readonly subject: string) {}
}

@Injectable()
class AuditLog {
  readonly entries = new Recorder<string>();
  readonly consumers = new Set<object>();
}

/** Request-scoped through its dependency only: the consumer itself is declared with the default scope. */
@Injectable({ scope: Scope.REQUEST })
class MessageScopedTenant {
  constructor(@Inject(REQUEST) readonly context: MessageContext) {}

  tenant(): string {
    return this.context.attributes.tenant ?? 'none';
  }
}

@Injectable()
@MessageConsumer('audit')
class AuditConsumer {
  constructor(
    private readonly log: AuditLog,
    private readonly tenant: MessageScopedTenant,
  ) {}

  @OnMessage()
  handle(message: AuditRequested): void {
    this.log.consumers.add(this);
    this.log.entries.record(`${message.subject}@${this.tenant.tenant()}`);
  }
}

@Injectable({ scope: Scope.TRANSIENT })
@MessageConsumer('transient-audit')
class TransientAuditConsumer {
  constructor(private readonly log: AuditLog) {}

  @OnMessage()
  handle(message: AuditRequested): void {
    this.log.entries.record(`transient:${message.subject}`);
  }
}

describe('a consumer whose dependency tree is not static', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [MelangeModule.forRoot({})],
      providers: [AuditLog, MessageScopedTenant, AuditConsumer, TransientAuditConsumer],
    }).compile();
    app = await moduleRef.createNestApplication().init();
  });

  afterAll(() => app.close());

  it('gets a fresh instance per message with its dependencies injected, the message context as REQUEST', async () => {
    const publisher = app.get(MelangePublisher);
    await publisher.publish(new AuditRequested('a'), { queue: 'audit' }, { attributes: { tenant: 'acme' } });
    await publisher.publish(new AuditRequested('b'), { queue: 'audit' }, { attributes: { tenant: 'globex' } });

    const entries = await app.get(AuditLog).entries.waitFor(2);

    expect([...entries].sort()).toEqual(['a@acme', 'b@globex']);
    expect(app.get(AuditLog).consumers.size).toBe(2);
  });

  it('resolves a transient consumer with its dependencies', async () => {
    await app.get(MelangePublisher).publish(new AuditRequested('t'), { queue: 'transient-audit' });

    await app.get(AuditLog).entries.waitFor(3);

    expect(app.get(AuditLog).entries.items).toContain('transient:t');
  });
});
