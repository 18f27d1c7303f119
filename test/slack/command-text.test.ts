import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMMAND_WORDS, type ParsedCommand, parseCommand } from '../../src/slack/command-text.js';

/** The problem of a command read as help with a problem; fails the test otherwise. */
function problemOf(parsed: ParsedCommand): string {
  expect(parsed.name).toBe('help');
  const problem = parsed.name === 'help' ? parsed.problem : undefined;
  expect(typeof problem).toBe('string');
  expect(problem?.trim().length).toBeGreaterThan(0);
  return problem ?? '';
}

describe('parseCommand', () => {
  it('reads no text as help, without a problem', () => {
    expect(parseCommand('')).toEqual({ name: 'help' });
    expect(parseCommand('   \t ')).toEqual({ name: 'help' });
  });

  it('reads help', () => {
    expect(parseCommand('help')).toEqual({ name: 'help' });
    expect(parseCommand('  HELP  ')).toEqual({ name: 'help' });
  });

  it('reads add and its aliases new and create', () => {
    for (const verb of ['add', 'new', 'create', 'Add', 'NEW', 'Create']) {
      expect(parseCommand(verb)).toEqual({ name: 'add' });
    }
  });

  it('reads list with and without a filter', () => {
    expect(parseCommand('list')).toEqual({ name: 'list', filter: '' });
    expect(parseCommand('list acme')).toEqual({ name: 'list', filter: 'acme' });
    expect(parseCommand('LIST  front   desk ')).toEqual({ name: 'list', filter: 'front desk' });
  });

  it('reads every verb that names a code, and its alias', () => {
    const cases: [string, ParsedCommand['name']][] = [
      ['edit', 'edit'],
      ['qr', 'qr'],
      ['show', 'qr'],
      ['delete', 'delete'],
      ['history', 'history'],
    ];
    for (const [verb, name] of cases) {
      expect(parseCommand(`${verb} ABCD-EFGH`)).toEqual({ name, code: 'ABCD-EFGH' });
      expect(parseCommand(`${verb.toUpperCase()} ABCD-EFGH`)).toEqual({ name, code: 'ABCD-EFGH' });
    }
    expect(parseCommand('share ABCD-EFGH')).toEqual({
      name: 'share',
      code: 'ABCD-EFGH',
      channelId: null,
    });
  });

  it('keeps the code as typed, spaces included', () => {
    expect(parseCommand('edit abcd efgh')).toEqual({ name: 'edit', code: 'abcd efgh' });
    expect(parseCommand('  Qr   abcd   efgh  ')).toEqual({ name: 'qr', code: 'abcd efgh' });
    expect(parseCommand('history\tab_cd-ef')).toEqual({ name: 'history', code: 'ab_cd-ef' });
    expect(parseCommand('share abcd efgh')).toEqual({
      name: 'share',
      code: 'abcd efgh',
      channelId: null,
    });
  });

  it('reads the channel of share from Slack’s link', () => {
    expect(parseCommand('share ABCD-EFGH <#C123|general>')).toEqual({
      name: 'share',
      code: 'ABCD-EFGH',
      channelId: 'C123',
    });
    expect(parseCommand('share ABCD-EFGH <#C123>')).toEqual({
      name: 'share',
      code: 'ABCD-EFGH',
      channelId: 'C123',
    });
    expect(parseCommand('SHARE abcd efgh <#G0PRIVATE1|secret-team>')).toEqual({
      name: 'share',
      code: 'abcd efgh',
      channelId: 'G0PRIVATE1',
    });
    expect(parseCommand('share ABCD <#C0123ABC|>')).toEqual({
      name: 'share',
      code: 'ABCD',
      channelId: 'C0123ABC',
    });
  });

  it('refuses a channel typed as plain text, with a problem', () => {
    const problem = problemOf(parseCommand('share ABCD-EFGH #general'));
    expect(problem).toMatch(/#/);
  });

  it('asks for the code when it is missing', () => {
    for (const verb of ['edit', 'qr', 'show', 'delete', 'history', 'share']) {
      expect(problemOf(parseCommand(verb))).toContain('CODE');
    }
    expect(problemOf(parseCommand('share <#C123|general>'))).toContain('CODE');
    expect(problemOf(parseCommand('delete   '))).toContain('/installcode delete CODE');
  });

  it('refuses an unknown verb, naming it', () => {
    expect(problemOf(parseCommand('frobnicate ABCD'))).toContain('frobnicate');
    expect(problemOf(parseCommand('remove ABCD'))).toContain('remove');
    // A pasted code is not a verb either.
    expect(problemOf(parseCommand('ABCD-EFGH-JKMN'))).toContain('ABCD-EFGH-JKMN');
  });

  it('clips a very long unknown word in its problem', () => {
    const word = 'x'.repeat(5000);
    const problem = problemOf(parseCommand(word));
    expect(problem.length).toBeLessThan(100);
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])(
    '“%s” is an unknown command, with or without more words',
    (word) => {
      for (const text of [word, `${word} X`, `${word.toUpperCase()} ABCD-EFGH`]) {
        const problem = problemOf(parseCommand(text));
        expect(problem).toMatch(/unknown command/i);
        expect(problem).toContain(text.split(' ')[0]);
        expect(problem).not.toContain('native code');
        expect(problem).not.toContain('[object');
      }
    },
  );

  it('names an unknown word as text: Slack’s control characters are escaped', () => {
    const problem = problemOf(parseCommand('<!channel> now'));
    expect(problem).toContain('&lt;!channel&gt;');
    expect(problem).not.toMatch(/[<>]/);
    expect(problemOf(parseCommand('a&b'))).toContain('a&amp;b');
  });
});

/** Words nobody would pick, and every property an object inherits: none of them is a command. */
const unknownWord = fc
  .oneof(
    fc.constantFrom(...Object.getOwnPropertyNames(Object.prototype)),
    fc.string({ minLength: 1, maxLength: 60, unit: 'binary' }),
  )
  .map((word) => word.replace(/\s/g, ''))
  .filter((word) => word.length > 0 && !COMMAND_WORDS.has(word.toLowerCase()));

describe('parseCommand, over any word', () => {
  it('every unknown word gets the help with “unknown command”, naming it safely', () => {
    fc.assert(
      fc.property(unknownWord, fc.string({ maxLength: 20 }), (word, more) => {
        const parsed = parseCommand(`${word} ${more}`);
        expect(parsed.name).toBe('help');
        const problem = parsed.name === 'help' ? (parsed.problem ?? '') : '';
        expect(problem).toMatch(/^Unknown command “/);
        expect(problem).not.toMatch(/[<>]/);
        expect(problem.length).toBeLessThan(200);
        const shown = word.length > 30 ? word.slice(0, 29) : word;
        const escaped = shown
          .replaceAll('&', '&amp;')
          .replaceAll('<', '&lt;')
          .replaceAll('>', '&gt;');
        expect(problem).toContain(escaped);
      }),
      { numRuns: 500 },
    );
  });

  it('every known word, in any case, is its command and never the help’s problem', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...COMMAND_WORDS.keys()),
        fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
        (word, upper) => {
          const cased = [...word].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('');
          const parsed = parseCommand(`${cased} ABCD-EFGH`);
          expect(parsed.name).toBe(COMMAND_WORDS.get(word));
          if (parsed.name === 'help') expect(parsed.problem).toBeUndefined();
        },
      ),
    );
  });
});
