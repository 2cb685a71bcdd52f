/**
 * The token user PIN: read from a file, an environment variable, or asked on a terminal without
 * echo. A PIN travels as a {@link TokenPin}, which prints as `[PIN]` wherever it ends up in a log,
 * a JSON body or `util.inspect`.
 */
import { readFile } from 'node:fs/promises';
import { inspect } from 'node:util';
import { LictorError } from '@lictor/protocol';

/** Environment variable holding the token user PIN. */
export const PIN_ENV = 'LICTOR_TOKEN_PIN';

/** A token PIN that never shows itself when printed, logged or serialized. */
export class TokenPin {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The PIN itself, for `C_Login` only. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[PIN]';
  }

  toJSON(): string {
    return '[PIN]';
  }

  [inspect.custom](): string {
    return '[PIN]';
  }
}

/** Streams for asking the PIN on a terminal. */
export interface PinPrompt {
  input: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  output: NodeJS.WritableStream;
  /** Text shown before the PIN is typed. */
  question?: string;
}

/** Where {@link readTokenPin} looks, in this order: the file, the environment, the terminal. */
export interface PinSources {
  /** A file whose first line is the PIN (`--pin-file`). */
  pinFile?: string;
  /** Environment to read `LICTOR_TOKEN_PIN` from; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Ask on a terminal when neither the file nor the environment gives a PIN. Pass it only when a person is there. */
  prompt?: PinPrompt;
}

function pinFrom(text: string, where: string): TokenPin {
  const pin = text.replace(/\r?\n[\s\S]*$/, '');
  if (pin.length === 0) {
    throw new LictorError('LICTOR_E_TOKEN_PIN_REQUIRED', `${where} holds no PIN (its first line is empty)`);
  }
  return new TokenPin(pin);
}

/**
 * Reads the token user PIN from the first source that has one. Throws
 * `LICTOR_E_TOKEN_PIN_REQUIRED` when none does, `LICTOR_E_FILE_UNREADABLE` when the file cannot be
 * read. The PIN is never part of an error message.
 */
export async function readTokenPin(sources: PinSources = {}): Promise<TokenPin> {
  if (sources.pinFile !== undefined) {
    let text: string;
    try {
      text = await readFile(sources.pinFile, 'utf8');
    } catch (err) {
      throw new LictorError(
        'LICTOR_E_FILE_UNREADABLE',
        `cannot read the PIN file ${sources.pinFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
    return pinFrom(text, `the PIN file ${sources.pinFile}`);
  }
  const fromEnv = (sources.env ?? process.env)[PIN_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return pinFrom(fromEnv, PIN_ENV);
  if (sources.prompt !== undefined) return promptForPin(sources.prompt);
  throw new LictorError(
    'LICTOR_E_TOKEN_PIN_REQUIRED',
    `the token needs its user PIN: pass --pin-file FILE or set ${PIN_ENV} (no terminal to ask on)`,
  );
}

/**
 * Asks for a PIN without echoing it: on a terminal the input is switched to raw mode and each
 * typed character is read but not shown; on other streams one line is read. Enter ends the PIN,
 * Backspace removes a character, Ctrl-C or Ctrl-D (or the end of input) cancels with
 * `LICTOR_E_TOKEN_PIN_REQUIRED`.
 */
export function promptForPin(prompt: PinPrompt): Promise<TokenPin> {
  const { input, output } = prompt;
  output.write(prompt.question ?? 'Token user PIN: ');
  const raw = input.isTTY === true && typeof input.setRawMode === 'function';
  if (raw) input.setRawMode?.(true);
  return new Promise<TokenPin>((resolve, reject) => {
    let pin = '';
    const finish = (result: TokenPin | LictorError) => {
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      if (raw) input.setRawMode?.(false);
      input.pause();
      output.write('\n');
      if (result instanceof TokenPin) resolve(result);
      else reject(result);
    };
    const cancelled = () => new LictorError('LICTOR_E_TOKEN_PIN_REQUIRED', 'no PIN was entered');
    const onData = (chunk: Buffer | string) => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish(pin === '' ? cancelled() : new TokenPin(pin));
        if (ch === '\u0003' || ch === '\u0004') return finish(cancelled());
        if (ch === '\u007f' || ch === '\b') pin = pin.slice(0, -1);
        else pin += ch;
      }
    };
    const onEnd = () => finish(cancelled());
    input.on('data', onData);
    input.on('end', onEnd);
    input.resume();
  });
}
