import { Module } from '@nestjs/common';
import { NotificationsConsumer } from './notifications.consumer';
import { NotificationsController } from './notifications.controller';
import { Outbox } from './outbox';

@Module({
  controllers: [NotificationsController],
  providers: [Outbox, NotificationsConsumer],
})
export class NotificationsModule {}
