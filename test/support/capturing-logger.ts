import type { LoggerService } from '@nestjs/common';

/** A Nest logger that keeps what was logged, so specs can assert on log lines. */
export class CapturingLogger implements LoggerService {
  readonly lines: { level: string; message: string }[] = [];
  // Arrow properties: the backend may be handed a method on its own.
  log = (message: unknown): void => this.record('log', message);
  error = (message: unknown): void => this.record('error', message);
  warn = (message: unknown): void => this.record('warn', message);
  debug = (message: unknown): void => this.record('debug', message);
  verbose = (message: unknown): void => this.record('verbose', message);

  messages(level: string): string[] {
    return this.lines.filter((line) => line.level === level).map((line) => line.message);
  }

  private record(level: string, message: unknown): void {
    this.lines.push({ level, message: String(message) });
  }
}
