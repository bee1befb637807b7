import { Body, Controller, Get, NotFoundException, Param, Post, ValidationPipe } from '@nestjs/common';
import type { Order } from './order';
import { OrdersService } from './orders.service';
import { PlaceOrderDto } from './place-order.dto';

@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  /**
   * 201 with the order, still PENDING: payment happens asynchronously, through messages. Poll
   * `GET /orders/:id` for the outcome.
   */
  @Post()
  place(@Body(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true })) body: PlaceOrderDto): Promise<Order> {
    // The pipe is on this parameter, not global: Nest runs global pipes on message handlers too, and
    // to a global ValidationPipe a message is a request body, so `whitelist` would strip every
    // field of the message classes, which carry no class-validator decorators.
    return this.orders.place(body.customer, body.items);
  }

  @Get()
  list(): Promise<Order[]> {
    return this.orders.list();
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<Order> {
    const order = await this.orders.find(id);
    if (!order) throw new NotFoundException(`No order ${id}`);
    return order;
  }
}
