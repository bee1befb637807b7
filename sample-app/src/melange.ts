/**
 * The library, as the sample sees it. In your own application this file does not exist: import
 * from 'nestjs-melange' instead. The sample lives inside the library's repository and runs against
 * its source (lib/), so one re-export keeps every other import reading like a user's.
 */
export * from '../../lib';
