import { Module } from '@nestjs/common';
import { PaymentGateway } from './payment-gateway';
import { PaymentsConsumer } from './payments.consumer';

@Module({
  providers: [PaymentGateway, PaymentsConsumer],
})
export class PaymentsModule {}
