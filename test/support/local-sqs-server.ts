import { startLocalSqsServer as startLibraryServer, type LocalSqsServer, type LocalSqsServerOptions } from '../../lib/testing';
import { FAUXQS_FOR_NODE_22, recommendedFauxqs } from '../../lib/testing/fauxqs-package';
import { FAUXQS_PACKAGE_ENV } from './sqs-env';

export type { LocalSqsServer, LocalSqsServerOptions };

/**
 * The fauxqs this runtime's specs run on: the repository installs 1.9.2 as `fauxqs` and 2.4.1 as
 * the alias `fauxqs-2`, and takes the newer one wherever Node can run it. MELANGE_FAUXQS_PACKAGE
 * chooses one by hand, to compare the two on one runtime.
 */
export function localFauxqsPackage(): string {
  return process.env[FAUXQS_PACKAGE_ENV] || (recommendedFauxqs() === FAUXQS_FOR_NODE_22 ? 'fauxqs-2' : 'fauxqs');
}

/** The library's startLocalSqsServer, on this runtime's fauxqs unless the options name one. */
export function startLocalSqsServer(options: LocalSqsServerOptions = {}): Promise<LocalSqsServer> {
  return startLibraryServer({ fauxqsPackage: localFauxqsPackage(), ...options });
}
