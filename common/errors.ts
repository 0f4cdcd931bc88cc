/**
 * The error taxonomy shared by every part. Callers tell errors apart by class, never by message.
 */

/** A command got no answer in time. `command` names it, without arguments that could carry keys. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(
    readonly command: string,
    readonly ms: number,
  ) {
    super(`${command}: no answer within ${ms} ms`);
  }
}

/** The peer said something we do not accept: a bad frame, an error status, a malformed payload. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** The byte stream went away (unplugged, closed). A supervisor reconnects. */
export class DisconnectedError extends Error {
  override readonly name = 'DisconnectedError';
  constructor(message = 'transport disconnected') {
    super(message);
  }
}

/** A configuration value is missing or invalid; `field` is the dotted path of the value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(field ? `${field}: ${message}` : message);
  }
}
