/** What `/installcode …` asks for, read from the command's text. */
export type ParsedCommand =
  | { name: 'help'; problem?: string }
  | { name: 'add' }
  | { name: 'list'; filter: string }
  | { name: 'edit' | 'qr' | 'delete' | 'history'; code: string }
  | { name: 'share'; code: string; channelId: string | null };

const ALIASES: Record<
  string,
  'add' | 'list' | 'edit' | 'qr' | 'share' | 'delete' | 'history' | 'help'
> = {
  help: 'help',
  add: 'add',
  new: 'add',
  create: 'add',
  list: 'list',
  edit: 'edit',
  qr: 'qr',
  show: 'qr',
  share: 'share',
  delete: 'delete',
  history: 'history',
};

/** A channel as Slack escapes it in command text: `<#C0123|general>` or `<#C0123>`. */
const CHANNEL_MENTION = /^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$/;

/** Reads the command text; the code is the rest of the text, so `edit abcd efgh` names `ABCD-EFGH`. */
export function parseCommand(text: string): ParsedCommand {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const verb = ALIASES[(words[0] ?? 'help').toLowerCase()];
  const rest = words.slice(1);
  if (!verb) return { name: 'help', problem: `I don't know “${clip(words[0] ?? '')}”.` };
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
    default:
      return rest.length ? { name: verb, code: rest.join(' ') } : missingCode(verb);
  }
}

function missingCode(verb: string): ParsedCommand {
  return { name: 'help', problem: `Which code? Write \`/installcode ${verb} CODE\`.` };
}

function clip(word: string): string {
  return word.length > 30 ? `${word.slice(0, 29)}…` : word;
}
