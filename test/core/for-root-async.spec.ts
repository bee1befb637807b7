import 'reflect-metadata';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import {
  InMemoryBackend,
  MelangeModule,
  MelangePublisher,
  MessageConsumer,
  OnMessage,
  type MelangeModuleOptions,
} from '../../lib';
import { Recorder } from '../support/recorder';

class InvoiceIssued {
  constructor(readonly invoiceId: string) {}
}

@Injectable()
@MessageConsumer('invoices')
class InvoicesConsumer {
  readonly seen = new Recorder<string>();

  @OnMessage()
  issued(message: InvoiceIssued): void {
    this.seen.record(message.invoiceId);
  }
}

@Injectable()
class MelangeConfig {
  constructor(private readonly config: ConfigService) {}

  createMelangeOptions(): MelangeModuleOptions {
    return {
      backends: { main: new InMemoryBackend() },
      defaultBackend: this.config.getOrThrow<string>('MELANGE_BACKEND'),
      destinations: [{ message: InvoiceIssued, destination: { queue: 'invoices' } }],
    };
  }
}

const configuration = () => ({ MELANGE_BACKEND: 'main' });

describe('MelangeModule.forRootAsync', () => {
  let app: INestApplication;

  afterEach(() => app.close());

  it('builds options with a factory that injects ConfigService', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({ ignoreEnvFile: true, load: [configuration] }),
        MelangeModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService): MelangeModuleOptions => ({
            backends: { [config.getOrThrow<string>('MELANGE_BACKEND')]: new InMemoryBackend() },
          }),
        }),
      ],
      providers: [InvoicesConsumer],
    }).compile();
    app = await moduleRef.createNestApplication().init();

    await app.get(MelangePublisher).publish(new InvoiceIssued('inv-1'), { queue: 'invoices', backend: 'main' });

    expect(await app.get(InvoicesConsumer).seen.waitFor(1)).toEqual(['inv-1']);
  });

  it('builds options with a class (useClass) and is global with isGlobal', async () => {
    @Injectable()
    class Billing {
      constructor(readonly publisher: MelangePublisher) {}
    }
    @Module({ providers: [Billing], exports: [Billing] })
    class BillingModule {}

    const moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({ ignoreEnvFile: true, load: [configuration] }),
        MelangeModule.forRootAsync({ imports: [ConfigModule], useClass: MelangeConfig, isGlobal: true }),
        BillingModule,
      ],
      providers: [InvoicesConsumer],
    }).compile();
    app = await moduleRef.createNestApplication().init();

    // The destination comes from the options the class built; the publisher from the global module.
    await app.get(Billing).publisher.publish(new InvoiceIssued('inv-2'));

    expect(await app.get(InvoicesConsumer).seen.waitFor(1)).toEqual(['inv-2']);
  });
});
