// `nestjs-melange/dashboard`: an optional HTTP page over MelangeAdmin. Kept out of the root entry so
// apps that do not mount it never load it.
export { MelangeDashboardModule } from './dashboard.module';
export type { MelangeDashboardOptions } from './dashboard.options';
export { DashboardAccessError } from '../errors';
