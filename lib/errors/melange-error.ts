/** Base class of every error the library throws, so callers can catch them as one family. */
export class MelangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The application is wired wrongly: options, decorators or declarations contradict each other or
 * the broker. Thrown while the application starts, so a mistake fails `app.init()` rather than the
 * first message; the message says what to change.
 */
export class MelangeConfigurationError extends MelangeError {}
