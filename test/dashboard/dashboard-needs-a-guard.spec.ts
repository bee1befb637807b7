import 'reflect-metadata';
import { Injectable, Module, type CanActivate } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MelangeConfigurationError, MelangeModule } from '../../lib';
import { DashboardAccessError, MelangeDashboardModule } from '../../lib/dashboard';

@Injectable()
class DenyAll implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

describe('MelangeDashboardModule.forRoot', () => {
  it('refuses to mount without a guard or public: true, saying why', () => {
    for (const options of [{}, { path: 'ops' }, { public: false }, { showPayloads: true }]) {
      expect(() => MelangeDashboardModule.forRoot(options)).toThrow(DashboardAccessError);
    }
    expect(() => MelangeDashboardModule.forRoot({})).toThrow(MelangeConfigurationError);
    expect(() => MelangeDashboardModule.forRoot({})).toThrow(/needs a "guard".*or "public: true"/);
  });

  it('mounts with a guard, which then decides', async () => {
    @Module({ imports: [MelangeModule.forRoot({}), MelangeDashboardModule.forRoot({ path: '/ops/queues/', guard: DenyAll })] })
    class GuardedApp {}
    const app = await NestFactory.create(GuardedApp, { logger: false });
    await app.listen(0, '127.0.0.1');
    try {
      const response = await fetch(`${await app.getUrl()}/ops/queues`);
      expect(response.status).toBe(403);
    } finally {
      await app.close();
    }
  });
});
