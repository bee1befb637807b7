/**
 * The library's development helpers, as the sample sees them: in your own application, import
 * from 'nestjs-melange/testing' instead (see melange.ts for why this file exists).
 */
export * from '../../lib/testing';
