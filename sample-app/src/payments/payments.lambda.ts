import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { join } from 'node:path';
import { MelangeModule } from '../melange';
import { createLambdaHandler, type LambdaHandlerOptions, type MelangeLambdaHandler } from '../melange-lambda';
import { melangeOptions } from '../messaging';
import { PaymentsModule } from './payments.module';

/**
 * The payments context alone, as an AWS Lambda function fed by the sample-payments queue: the same
 * PaymentsConsumer, with the same configuration, that the long-running app consumes with pollers.
 * Orders and notifications are not loaded. Set MELANGE_SQS_ENDPOINT=aws in the function's
 * environment (see settings.ts); the function publishes PaymentStarted / PaymentCompleted /
 * PaymentFailed to the payments topic as the app does.
 */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, envFilePath: join(__dirname, '..', '..', '.env') }),
    MelangeModule.forRootAsync({ isGlobal: true, inject: [ConfigService], useFactory: melangeOptions }),
    PaymentsModule,
  ],
})
export class PaymentsFunctionModule {}

export function createPaymentsHandler(options: LambdaHandlerOptions = {}): MelangeLambdaHandler {
  return createLambdaHandler(PaymentsFunctionModule, options);
}

/** The function's handler: `payments.lambda.handler`. */
export const handler = createPaymentsHandler();
