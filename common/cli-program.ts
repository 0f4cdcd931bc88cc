/**
 * How every `occupancy` entry point runs its commander program, so the vehicle, the back office and
 * the tools behave alike (docs/cli.md): `--version` from package.json; errors print one line that
 * says what to do, not a stack trace (DEBUG=1 for the trace); one table of exit codes; a reader
 * that closes the pipe early (`| head -1`) ends the output, not the command.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ConfigError, DisconnectedError, TimeoutError } from './errors.js';

/** The exit codes of every `occupancy` command (docs/cli.md). */
export const EXIT = {
  /** Done, every check passed. */
  ok: 0,
  /** The command ran and failed: a check failed, a run broke off. */
  failure: 1,
  /** Nothing was done: a wrong flag or argument, or an invalid config, scenario or output path. */
  usage: 2,
  /** A device or peer did not answer (a command timed out, a port went away). */
  noAnswer: 3,
} as const;

/** The exit code for an error that ended a command. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (error instanceof ConfigError) return EXIT.usage;
  if (error instanceof TimeoutError || error instanceof DisconnectedError) return EXIT.noAnswer;
  return EXIT.failure;
}

/**
 * The software's version, from the package.json above this file: in the checkout (common/) and in
 * a compiled image (dist/common/) alike.
 */
export function softwareVersion(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) {
      const pkg = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'havag-tram-occupancy' && pkg.version) return pkg.version;
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

/**
 * A program with the shared conventions: `-V, --version`, help after a usage error, and commander's
 * own exits (usage errors, help, version) turned into errors runProgram maps to exit codes.
 * Subcommands inherit the settings.
 */
export function createProgram(description: string): Command {
  return new Command('occupancy')
    .description(description)
    .version(softwareVersion(), '-V, --version', 'print the software version')
    .showHelpAfterError()
    .exitOverride();
}

/**
 * A closed pipe (`occupancy provision list | head -1`) ends what we print, not the command: the
 * rest of the output is dropped and the command finishes its work (a record, a file) as it would.
 */
export function tolerateClosedPipes(streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    if (stream.listeners('error').some((l) => (l as { closedPipe?: boolean }).closedPipe)) continue;
    const onError = Object.assign(
      (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE') throw error;
        // Later writes go nowhere; console ignores a destroyed stream.
        stream.destroy();
      },
      { closedPipe: true },
    );
    stream.on('error', onError);
  }
}

export async function runProgram(program: Command, argv: readonly string[] = process.argv): Promise<void> {
  tolerateClosedPipes();
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    process.exitCode = exitCodeFor(error);
    // commander has printed its own message (usage error, help, version).
    if (error instanceof CommanderError) return;
    if (process.env['DEBUG']) throw error;
    const message = error instanceof ConfigError ? `configuration error: ${error.message}` : `error: ${(error as Error).message}`;
    console.error(message);
  }
}

/** An option value that must be an integer in [min, max]; commander reports a bad one as a usage error. */
export function integerArg(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    return n;
  };
}

/** An option value that must be a number in [min, max]. */
export function numberArg(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`expected a number from ${min} to ${max}.`);
    return n;
  };
}

/** An option value that must be a number above `above` (e.g. seconds). */
export function positiveNumberArg(above = 0): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= above) throw new InvalidArgumentError(`expected a number above ${above}.`);
    return n;
  };
}

/**
 * A subcommand that is described up front but whose code is imported only when it runs: `register`
 * adds the real command (options, action) to the program.
 */
export interface LazyCommand {
  name: string;
  description: string;
  register: () => Promise<(program: Command) => void>;
}

/**
 * Registers only the command named on the command line (its module is imported now); for help, an
 * unknown name or none, registers every command's name and description without importing any.
 */
export async function registerLazily(program: Command, commands: readonly LazyCommand[], argv: readonly string[] = process.argv): Promise<void> {
  const words = argv.slice(2).filter((a) => !a.startsWith('-'));
  // `occupancy help <command>` shows that command's full help.
  const wanted = words[0] === 'help' ? words[1] : words[0];
  const command = commands.find((c) => c.name === wanted);
  if (command) {
    (await command.register())(program);
    return;
  }
  for (const c of commands) program.command(c.name).description(c.description);
}
