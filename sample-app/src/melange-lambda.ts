/** The library's Lambda entry point, as the sample sees it: `nestjs-melange/lambda` in your application. */
export * from '../../lib/lambda';
