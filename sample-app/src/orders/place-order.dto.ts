import { Type } from 'class-transformer';
import { ArrayNotEmpty, IsInt, IsNotEmpty, IsNumber, IsPositive, IsString, Min, ValidateNested } from 'class-validator';

export class OrderLineDto {
  @IsString() @IsNotEmpty() sku!: string;
  @IsInt() @Min(1) quantity!: number;
  @IsNumber({ maxDecimalPlaces: 2 }) @IsPositive() price!: number;
}

/** Body of `POST /orders`: `{ "customer": "ada", "items": [{ "sku": "keyboard", "quantity": 1, "price": 89.9 }] }`. */
export class PlaceOrderDto {
  @IsString() @IsNotEmpty() customer!: string;

  @ArrayNotEmpty()
  @ValidateNested({ each: true })
  @Type(() => OrderLineDto)
  items!: OrderLineDto[];
}
