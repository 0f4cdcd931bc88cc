/**
 * The command layer under every AT dialect: line framing on a Duplex, one command in flight, a
 * matcher that decides which incoming lines answer it, a timeout per command that names it, and
 * every other line emitted as an unsolicited 'line' event. Knows nothing of LoRaWAN.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { BoundedLineSplitter } from '../transport/line-splitter.js';
import type { Clock, TimerHandle } from '../../common/clock.js';
import { DisconnectedError, TimeoutError } from '../../common/errors.js';
import { moduleLogger } from '../../common/log.js';
import { redactModemLine } from './redact.js';

const log = moduleLogger('lora.at');

/** What a command's matcher says of a line: part of the reply, the end of it, or not its business. */
export type LineVerdict = 'value' | 'final' | 'unrelated';

export interface AtCommand {
  /** Bytes to send, without the line ending. */
  text: string;
  /** Name for errors and logs: must not contain keys (e.g. 'AT+APPKEY', not the full line). */
  name: string;
  timeoutMs: number;
  match: (line: string) => LineVerdict;
}

export interface AtReply {
  values: string[];
  final: string;
}

export interface AtChannelEvents {
  line: [string];
  closed: [Error];
}

interface InFlight {
  command: AtCommand;
  values: string[];
  resolve: (reply: AtReply) => void;
  reject: (error: Error) => void;
  timer: TimerHandle;
}

/** Lines longer than this are garbage (no AT reply is), dropped with a count. */
const MAX_LINE = 1024;

export class AtChannel extends EventEmitter<AtChannelEvents> {
  private inFlight: InFlight | undefined;
  private readonly queue: Array<() => void> = [];
  private closedError: Error | undefined;
  readonly counters = { linesIn: 0, droppedLines: 0, unknownLines: 0, timeouts: 0 };

  constructor(
    private readonly stream: Duplex,
    private readonly clock: Clock,
    private readonly lineEnding = '\r\n',
    /** Key material (hex) this channel carries: never logged, whatever the module echoes. */
    private readonly secrets: readonly string[] = [],
  ) {
    super();
    // Bounded: a modem spewing bytes without a newline (wrong baud rate, noise) never grows a buffer.
    const parser = stream.pipe(
      new BoundedLineSplitter(MAX_LINE, () => {
        this.counters.droppedLines++;
        log.warn('dropped a garbled line from the modem');
      }),
    );
    parser.on('data', (raw: string) => this.onLine(raw));
    const onGone = (error?: Error): void => this.onClosed(error ?? new DisconnectedError());
    stream.once('close', () => onGone());
    stream.once('end', () => onGone());
    stream.once('error', (error: Error) => onGone(new DisconnectedError(`transport error: ${error.message}`)));
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Sends a command once the previous one is answered; resolves with its reply. */
  async command(command: AtCommand): Promise<AtReply> {
    if (this.inFlight || this.queue.length > 0) {
      await new Promise<void>((resolve) => this.queue.push(resolve));
    }
    if (this.closedError) throw this.closedError;
    return new Promise<AtReply>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.counters.timeouts++;
        this.finish(undefined, new TimeoutError(command.name, command.timeoutMs));
      }, command.timeoutMs);
      this.inFlight = { command, values: [], resolve, reject, timer };
      if (log.isLevelEnabled('debug')) log.debug({ command: command.name }, 'send');
      this.stream.write(command.text + this.lineEnding, 'latin1');
    });
  }

  /** Writes a raw line without waiting for anything (e.g. a wake-up or reset). */
  writeLine(text: string): void {
    if (!this.closedError) this.stream.write(text + this.lineEnding, 'latin1');
  }

  /**
   * The dialect read a clean line it has no use for (a half line, a stray reply): counted and
   * logged, never acted on.
   */
  unrecognised(line: string): void {
    this.counters.unknownLines++;
    log.warn({ length: line.length }, 'skipped a line the modem sent unasked');
    // Redacted whole, then cut: a cut key would escape the patterns.
    if (log.isLevelEnabled('debug')) log.debug({ line: redactModemLine(line, this.secrets).slice(0, 80) }, 'unrecognised line');
  }

  private onLine(raw: string): void {
    const line = raw.replace(/\r$/, '').trim();
    if (line.length === 0) return;
    if (line.length > MAX_LINE || hasGarbage(line)) {
      this.counters.droppedLines++;
      log.warn({ length: line.length }, 'dropped a garbled line from the modem');
      return;
    }
    this.counters.linesIn++;
    const current = this.inFlight;
    if (current) {
      const verdict = current.command.match(line);
      if (verdict === 'value') {
        current.values.push(line);
        return;
      }
      if (verdict === 'final') {
        this.finish({ values: current.values, final: line });
        return;
      }
    }
    this.emit('line', line);
  }

  private finish(reply: AtReply | undefined, error?: Error): void {
    const current = this.inFlight;
    if (!current) return;
    this.inFlight = undefined;
    this.clock.clearTimeout(current.timer);
    if (error) current.reject(error);
    else current.resolve(reply!);
    this.queue.shift()?.();
  }

  private onClosed(error: Error): void {
    if (this.closedError) return;
    this.closedError = error;
    this.finish(undefined, error);
    for (const next of this.queue.splice(0)) next();
    this.emit('closed', error);
  }
}

/** Control characters or bytes above ASCII: line noise, not an AT reply. */
function hasGarbage(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return true;
  }
  return false;
}
