import { escapeMrkdwn } from './views/format.js';

/** The verbs of `/installcode`, each under its own name. */
export type Verb = 'help' | 'add' | 'list' | 'edit' | 'qr' | 'share' | 'delete' | 'history';

/** What `/installcode …` asks for, read from the command's text. */
export type ParsedCommand =
  | { name: 'help'; problem?: string }
  | { name: 'add' }
  | { name: 'list'; filter: string }
  | { name: 'edit' | 'qr' | 'delete' | 'history'; code: string }
  | { name: 'share'; code: string; channelId: string | null };

/**
 * Every word the command knows, aliases included. A Map, not an object literal: a word typed by
 * anyone must never reach `constructor`, `__proto__` or another property every object inherits.
 */
export const COMMAND_WORDS: ReadonlyMap<string, Verb> = new Map<string, Verb>([
  ['help', 'help'],
  ['add', 'add'],
  ['new', 'add'],
  ['create', 'add'],
  ['list', 'list'],
  ['edit', 'edit'],
  ['qr', 'qr'],
  ['show', 'qr'],
  ['share', 'share'],
  ['delete', 'delete'],
  ['history', 'history'],
]);

/** A channel as Slack escapes it in command text: `<#C0123|general>` or `<#C0123>`. */
const CHANNEL_MENTION = /^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$/;

/** Reads the command text; the code is the rest of the text, so `edit abcd efgh` names `ABCD-EFGH`. */
export function parseCommand(text: string): ParsedCommand {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [first, ...rest] = words;
  if (first === undefined) return { name: 'help' };
  const verb = COMMAND_WORDS.get(first.toLowerCase());
  if (verb === undefined) return { name: 'help', problem: unknownCommand(first) };
  switch (verb) {
    case 'help':
    case 'add':
      return { name: verb };
    case 'list':
      return { name: 'list', filter: rest.join(' ') };
    case 'share': {
      const last = rest.at(-1) ?? '';
      const mention = CHANNEL_MENTION.exec(last);
      if (!mention && last.startsWith('#')) {
        return {
          name: 'help',
          problem:
            'Pick the channel from Slack’s suggestions as you type `#`, so that it becomes a link.',
        };
      }
      const codeWords = mention ? rest.slice(0, -1) : rest;
      if (codeWords.length === 0) return missingCode(verb);
      return { name: 'share', code: codeWords.join(' '), channelId: mention?.[1] ?? null };
    }
    case 'edit':
    case 'qr':
    case 'delete':
    case 'history':
      return rest.length ? { name: verb, code: rest.join(' ') } : missingCode(verb);
    default:
      return unreachable(verb);
  }
}

/** The compiler proves every case is handled: a new verb or command without its case does not build. */
export function unreachable(value: never): never {
  throw new Error(`unhandled case: ${String(value)}`);
}

/** Names the word as typed, clipped, and escaped so that `<!channel>` or `<@U…>` stays text. */
function unknownCommand(word: string): string {
  return `Unknown command “${escapeMrkdwn(clip(word))}”. This is what I understand:`;
}

function missingCode(verb: Verb): ParsedCommand {
  return { name: 'help', problem: `Which code? Write \`/installcode ${verb} CODE\`.` };
}

function clip(word: string): string {
  return word.length > 30 ? `${word.slice(0, 29)}…` : word;
}
