// The coordinator's logs: pino JSON lines on stdout, one logger per node with the node's instance
// id in every line, one line per HTTP request from pino-http, and an adapter that turns error
// lines into plain text for callers of the older `log(message)` option (tests, simulations).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import type { RequestHandler } from 'express';
import { pino, type DestinationStream, type Logger } from 'pino';
import { pinoHttp } from 'pino-http';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

/** LOG_LEVEL's value (unset or empty: info); an unknown level is refused, naming the valid ones. */
export function parseLogLevel(value: string | undefined): LogLevel {
  if (value === undefined || value === '') return DEFAULT_LOG_LEVEL;
  const level = LOG_LEVELS.find((l) => l === value.toLowerCase());
  if (!level) throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, not "${value}"`);
  return level;
}

/** Never written: a researcher token is a password, and cookies may carry sessions. */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

export interface LoggerOptions {
  /** This node's id, in every line (`instance`), as in the metrics' `instance` label. */
  instance: string;
  /** Default: the LOG_LEVEL environment variable, else info. */
  level?: LogLevel;
  /** Where the lines go; default stdout. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const settings = {
    level: options.level ?? parseLogLevel(process.env.LOG_LEVEL),
    base: { instance: options.instance, pid: process.pid, hostname: hostname() },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Level names, not numbers: what log shippers and people grep for.
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/** Logs nothing: the default of code built without a logger (a Coordinator in a unit test). */
export const silentLogger: Logger = pino({ level: 'silent' });

/**
 * A logger whose error (and fatal) lines reach `log` as one plain line each: the message, then
 * any fields as JSON, then the error's stack. Less severe lines are dropped, as `log` only ever
 * received the errors a person should look at.
 */
export function lineLogger(log: (line: string) => void, instance: string): Logger {
  return createLogger({
    instance,
    level: 'error',
    destination: { write: (json) => log(plain(json)) },
  });
}

function plain(json: string): string {
  const line = JSON.parse(json) as Record<string, unknown>;
  const { level: _l, time: _t, pid: _p, hostname: _h, instance: _i, msg, err, ...fields } = line;
  const parts = [typeof msg === 'string' ? msg : ''];
  if (Object.keys(fields).length > 0) parts.push(JSON.stringify(fields));
  const stack = (err as { stack?: unknown } | undefined)?.stack;
  if (typeof stack === 'string') parts.push(stack);
  return parts.filter((p) => p !== '').join(' ');
}

/** pino-http's request as its serializers receive it (pino-std-serializers' shape). */
interface SerializedRequest {
  id: unknown;
  method: string;
  url: string;
  remoteAddress: string;
  headers: Record<string, string | undefined>;
}

/** Scraped every few seconds: a line per scrape would bury everything else. */
const QUIET_PATHS = new Set(['/healthz', '/metrics']);

/** The path as requested: Express strips a mount point off `url` inside a mounted router. */
const pathOf = (req: IncomingMessage & { originalUrl?: string }) =>
  (req.originalUrl ?? req.url ?? '').split('?')[0] ?? '';

/**
 * One line per HTTP request, with a request id (also sent back as X-Request-Id). API calls and
 * refusals log at info, server errors at warn (the error handler logs their stack at error), and
 * the client's static files at debug; health checks and scrapes not at all.
 */
export function httpLogger(logger: Logger): RequestHandler {
  const middleware = pinoHttp({
    logger,
    genReqId: (_req: IncomingMessage, res: ServerResponse) => {
      const id = randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.has(pathOf(req)) },
    // What a request line needs, not every header each way (the CSP alone is half a line).
    serializers: {
      req: (req: SerializedRequest) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        remoteAddress: req.remoteAddress,
        userAgent: req.headers['user-agent'],
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (req: IncomingMessage, res: ServerResponse, error?: Error) => {
      if (error || res.statusCode >= 500) return 'warn';
      if (res.statusCode < 400 && !pathOf(req).startsWith('/api/')) return 'debug';
      return 'info';
    },
  });
  return (req, res, next) => middleware(req, res, next);
}

export interface ServerLogging {
  /** A logger of the caller's: used as given. */
  logger?: Logger | undefined;
  /** Plain error lines instead of JSON (lineLogger), as tests and simulations collect them. */
  log?: ((message: string) => void) | undefined;
  /** The level of the default logger (JSON on stdout); default LOG_LEVEL, else info. */
  logLevel?: LogLevel | undefined;
}

/** The logger of one coordinator node: the caller's, else plain lines to `log`, else JSON. */
export function serverLogger(options: ServerLogging, instance: string): Logger {
  if (options.logger) return options.logger;
  if (options.log) return lineLogger(options.log, instance);
  return createLogger({ instance, ...(options.logLevel ? { level: options.logLevel } : {}) });
}
