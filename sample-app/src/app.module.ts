import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { join } from 'node:path';
import { DatabaseModule } from './database/database.module';
import { SampleDatabase } from './database/sample-database';
import { MelangeModule } from './melange';
import { melangeOptions } from './messaging';
import { NotificationsModule } from './notifications/notifications.module';
import { OrdersModule } from './orders/orders.module';
import { PaymentsModule } from './payments/payments.module';

/**
 * Three bounded contexts that share no code beyond the message contract (messages/) and no state:
 * they talk only through SNS topics and SQS queues.
 */
@Module({
  imports: [
    // Settings from the environment, or from sample-app/.env; the environment wins.
    ConfigModule.forRoot({ isGlobal: true, envFilePath: join(__dirname, '..', '.env') }),
    DatabaseModule,
    MelangeModule.forRootAsync({
      // Global, so every context can inject MelangePublisher without importing MelangeModule.
      isGlobal: true,
      inject: [ConfigService, SampleDatabase],
      useFactory: melangeOptions,
    }),
    OrdersModule,
    PaymentsModule,
    NotificationsModule,
  ],
})
export class AppModule {}
