import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { eur } from '../messages';
import { numberSetting } from '../settings';

export type ChargeResult = { readonly approved: true; readonly paymentId: string } | { readonly approved: false; readonly reason: string };

/**
 * A stand-in for a card processor, deterministic so that the demo and the tests know the outcome:
 * it declines any charge above PAYMENT_LIMIT (default 1000 EUR) and approves the rest.
 */
@Injectable()
export class PaymentGateway {
  readonly limit: number;

  constructor(config: ConfigService) {
    this.limit = numberSetting(config, 'PAYMENT_LIMIT', 1000);
  }

  async charge(customer: string, amount: number): Promise<ChargeResult> {
    // A real gateway is a network call; the pause also lets PAYMENT_PROCESSING show in the API.
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (amount > this.limit) {
      return { approved: false, reason: `${eur(amount)} exceeds ${customer}'s card limit of ${eur(this.limit)}` };
    }
    return { approved: true, paymentId: `pay-${randomUUID().slice(0, 8)}` };
  }
}
