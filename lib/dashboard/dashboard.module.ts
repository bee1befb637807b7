import { Module, type DynamicModule } from '@nestjs/common';
import { DashboardAccessError } from '../errors';
import { dashboardController } from './dashboard.controller';
import type { MelangeDashboardOptions, ResolvedDashboardOptions } from './dashboard.options';

/**
 * One page to watch and operate the queues: counts, consumers and their rates, the dead-letter
 * browser with redrive, pause and resume. Import it in an HTTP application next to MelangeModule:
 * `MelangeDashboardModule.forRoot({ path: 'ops/queues', guard: OpsGuard })`.
 */
@Module({})
export class MelangeDashboardModule {
  static forRoot(options: MelangeDashboardOptions): DynamicModule {
    // The page moves messages and pauses consumers: mounting it open must be a decision.
    if (!options.guard && options.public !== true) throw new DashboardAccessError();
    const resolved: ResolvedDashboardOptions = {
      path: (options.path ?? 'melange').replace(/^\/+|\/+$/g, ''),
      showPayloads: options.showPayloads ?? false,
      peekMax: options.peekMax ?? 50,
      refreshMs: options.refreshMs ?? 5000,
    };
    return { module: MelangeDashboardModule, controllers: [dashboardController(resolved, options.guard)] };
  }
}
