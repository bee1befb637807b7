import { Global, Module } from '@nestjs/common';
import { SampleDatabase } from './sample-database';

/** Global: MelangeModule's outbox and the orders context use the same database. */
@Global()
@Module({ providers: [SampleDatabase], exports: [SampleDatabase] })
export class DatabaseModule {}
