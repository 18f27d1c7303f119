import { MAX_FILTER_LENGTH } from './views/code-list.js';
import { escapeMrkdwn } from './views/format.js';

/** The verbs of `/installcode`, each under its own name. */
export type Verb = 'help' | 'add' | 'list' | 'edit' | 'qr' | 'share' | 'delete' | 'history';

/** What `/installcode …` asks for, read from the command's text. */
export type ParsedCommand =
  | { name: 'help'; problem?: string }
  | { name: 'add' }
  | { name: 'list'; filter: string }
  | { name: PickableVerb; code: string | null; channelId: string | null };

/** The verbs that act on one code: without one, the person picks it from a menu. */
export type PickableVerb = 'edit' | 'qr' | 'share' | 'delete' | 'history';

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

/**
 * Slack sends `&`, `<` and `>` typed by a person as `&amp;`, `&lt;` and `&gt;` (its links and
 * mentions stay `<…>`); `&amp;` last, so that a typed `&lt;` stays `&lt;`.
 */
export function decodeSlackEscapes(text: string): string {
  return text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
}

/**
 * Reads the command text; the code is the rest of the text, so `edit abcd efgh` names `ABCD-EFGH`.
 * A channel link is recognised before the words are decoded, so typed text never becomes one.
 */
export function parseCommand(text: string): ParsedCommand {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [rawFirst, ...rawRest] = words;
  const first = rawFirst === undefined ? undefined : decodeSlackEscapes(rawFirst);
  const rest = rawRest.map(decodeSlackEscapes);
  if (first === undefined) return { name: 'help' };
  const verb = COMMAND_WORDS.get(first.toLowerCase());
  if (verb === undefined) return { name: 'help', problem: unknownCommand(first) };
  switch (verb) {
    case 'help':
    case 'add':
      return { name: verb };
    case 'list':
      return { name: 'list', filter: rest.join(' ').slice(0, MAX_FILTER_LENGTH) };
    case 'share': {
      const last = rawRest.at(-1) ?? '';
      const mention = CHANNEL_MENTION.exec(last);
      if (!mention && last.startsWith('#')) {
        return {
          name: 'help',
          problem:
            'Pick the channel from Slack’s suggestions as you type `#`, so that it becomes a link.',
        };
      }
      const codeWords = mention ? rest.slice(0, -1) : rest;
      return { name: 'share', code: codeWords.join(' ') || null, channelId: mention?.[1] ?? null };
    }
    case 'edit':
    case 'qr':
    case 'delete':
    case 'history':
      return { name: verb, code: rest.join(' ') || null, channelId: null };
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

function clip(word: string): string {
  return word.length > 30 ? `${word.slice(0, 29)}…` : word;
}
