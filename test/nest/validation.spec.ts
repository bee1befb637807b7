import 'reflect-metadata';
import { Injectable, ValidationPipe, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IsPositive, IsString, MinLength } from 'class-validator';
import { InMemoryBackend, Message, MelangeEvents, MelangeModule, MelangePublisher, MessageConsumer, OnMessage, Payload } from '../../lib';
import { CapturingLogger } from '../support/capturing-logger';
import { EventLog, Recorder } from '../support/recorder';

@Message('accounts.account-opened')
class AccountOpened {
  @IsString() @MinLength(3) owner!: string;
  @IsPositive() deposit!: number;
}

@Injectable()
@MessageConsumer('accounts')
class AccountsConsumer {
  readonly opened = new Recorder<string>();

  @OnMessage()
  open(@Payload(new ValidationPipe()) account: AccountOpened): void {
    this.opened.record(account.owner);
  }
}

describe('class-validator on message payloads', () => {
  let app: INestApplication;
  let backend: InMemoryBackend;
  let logger: CapturingLogger;
  let events: EventLog;

  beforeAll(async () => {
    backend = new InMemoryBackend();
    logger = new CapturingLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { default: backend },
          infrastructure: { queues: [{ name: 'accounts', deadLetterQueue: 'accounts-dlq' }] },
        }),
      ],
      providers: [AccountsConsumer],
    }).compile();
    app = await moduleRef.createNestApplication({ logger }).init();
    events = new EventLog(app.get(MelangeEvents));
  });

  afterAll(() => app.close());

  it('rejects an invalid payload before the handler and dead-letters it with the validation messages', async () => {
    const invalid = Object.assign(new AccountOpened(), { owner: 'Al', deposit: -5 });
    const valid = Object.assign(new AccountOpened(), { owner: 'Alice', deposit: 10 });

    const { messageId } = await app.get(MelangePublisher).publish(invalid, { queue: 'accounts' });
    const { messageId: validId } = await app.get(MelangePublisher).publish(valid, { queue: 'accounts' });
    await Promise.all([events.waitFor('dead-lettered', messageId), events.waitFor('handled', validId)]);

    expect(app.get(AccountsConsumer).opened.items).toEqual(['Alice']);
    const [dead] = backend.waitingIn('accounts-dlq');
    expect(dead.messageId).toBe(messageId);
    const reason =
      'AccountsConsumer.open failed on attempt 1: Bad Request Exception: owner must be longer than or equal to 3 characters; ' +
      'deposit must be a positive number (not retryable)';
    expect(dead.attributes.melange_dead_letter_reason).toBe(reason);
    expect(logger.messages('error')).toEqual([
      `Message ${messageId} (accounts.account-opened) on queue "accounts" moved to the dead-letter queue: ${reason}`,
    ]);
  });
});

/** No class-validator decorators: a whitelisting pipe would strip every field. */
class NoteAdded {
  text!: string;
}

@Injectable()
@MessageConsumer('notes')
class UndecoratedConsumer {
  readonly added = new Recorder<NoteAdded>();

  @OnMessage()
  add(note: NoteAdded): void {
    this.added.record(note);
  }
}

describe('an app-wide ValidationPipe set up for HTTP', () => {
  it('validates payloads marked @Payload() and leaves undecorated handlers alone', async () => {
    const backend = new InMemoryBackend();
    const moduleRef = await Test.createTestingModule({
      imports: [MelangeModule.forRoot({ backends: { default: backend }, infrastructure: { queues: [{ name: 'accounts', deadLetterQueue: 'accounts-dlq' }] } })],
      providers: [AccountsConsumer, UndecoratedConsumer],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
    await app.init();
    const events = new EventLog(app.get(MelangeEvents));

    const note = Object.assign(new NoteAdded(), { text: 'hello' });
    await app.get(MelangePublisher).publish(note, { queue: 'notes' });
    const { messageId } = await app
      .get(MelangePublisher)
      .publish(Object.assign(new AccountOpened(), { owner: 'Al', deposit: 1 }), { queue: 'accounts' });
    const [received] = await app.get(UndecoratedConsumer).added.waitFor(1);
    await events.waitFor('dead-lettered', messageId);

    expect(received).toBeInstanceOf(NoteAdded);
    expect(received).toEqual(note);
    expect(backend.waitingIn('accounts-dlq')).toHaveLength(1);
    await app.close();
  });
});
