import { Injectable, Logger } from '@nestjs/common';

export interface Notification {
  readonly customer: string;
  readonly orderId: string;
  readonly text: string;
  readonly sentAt: string;
}

/**
 * Stands in for an e-mail or SMS provider: "sending" logs the text and keeps it, so that
 * `GET /notifications` can show what customers were told.
 */
@Injectable()
export class Outbox {
  private readonly logger = new Logger('Notifications');
  private readonly sent: Notification[] = [];

  send(customer: string, orderId: string, text: string): void {
    this.sent.push({ customer, orderId, text, sentAt: new Date().toISOString() });
    this.logger.log(`to ${customer}: "${text}"`);
  }

  list(filter: { customer?: string; orderId?: string }): Notification[] {
    return this.sent.filter(
      (notification) =>
        (filter.customer === undefined || notification.customer === filter.customer) &&
        (filter.orderId === undefined || notification.orderId === filter.orderId),
    );
  }
}
