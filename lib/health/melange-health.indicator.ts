import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { MelangeHealth, type HealthOptions } from '../observability/melange-health';

/**
 * A @nestjs/terminus indicator: up when every backend answers and every consumer runs; the details
 * name each backend and each queue, and say why one is down.
 */
@Injectable()
export class MelangeHealthIndicator {
  constructor(
    private readonly health: MelangeHealth,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async isHealthy<const Key extends string = 'melange'>(key: Key = 'melange' as Key, options?: HealthOptions): Promise<HealthIndicatorResult<Key>> {
    const { healthy, backends, consumers } = await this.health.check(options);
    const session = this.indicators.check(key);
    return healthy ? session.up({ backends, consumers }) : session.down({ backends, consumers });
  }
}
