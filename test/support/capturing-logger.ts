import type { LoggerService } from '@nestjs/common';

/** A Nest logger that keeps what was logged, so specs can assert on log lines. */
export class CapturingLogger implements LoggerService {
  readonly lines: { level: string; message: string }[] = [];

  log(message: unknown): void {
    this.lines.push({ level: 'log', message: String(message) });
  }
  error(message: unknown): void {
    this.lines.push({ level: 'error', message: String(message) });
  }
  warn(message: unknown): void {
    this.lines.push({ level: 'warn', message: String(message) });
  }

  messages(level: string): string[] {
    return this.lines.filter((line) => line.level === level).map((line) => line.message);
  }
}
