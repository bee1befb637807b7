import { Module } from '@nestjs/common';
import { OrdersController } from './orders.controller';
import { OrdersService } from './orders.service';
import { PaymentResultsConsumer } from './payment-results.consumer';

@Module({
  controllers: [OrdersController],
  providers: [OrdersService, PaymentResultsConsumer],
})
export class OrdersModule {}
