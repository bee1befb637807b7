import { Controller, Get, Query } from '@nestjs/common';
import { Outbox, type Notification } from './outbox';

@Controller('notifications')
export class NotificationsController {
  constructor(private readonly outbox: Outbox) {}

  /** What customers were told: `GET /notifications?customer=ada` or `?orderId=ord-…`. */
  @Get()
  list(@Query('customer') customer?: string, @Query('orderId') orderId?: string): Notification[] {
    return this.outbox.list({ customer, orderId });
  }
}
