import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  COMMAND_WORDS,
  decodeSlackEscapes,
  type ParsedCommand,
  parseCommand,
} from '../../src/slack/command-text.js';
import { MAX_FILTER_LENGTH } from '../../src/slack/views/code-list.js';

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
      const named = { name, code: 'ABCD-EFGH', channelId: null };
      expect(parseCommand(`${verb} ABCD-EFGH`)).toEqual(named);
      expect(parseCommand(`${verb.toUpperCase()} ABCD-EFGH`)).toEqual(named);
    }
    expect(parseCommand('share ABCD-EFGH')).toEqual({
      name: 'share',
      code: 'ABCD-EFGH',
      channelId: null,
    });
  });

  it('keeps the code as typed, spaces included', () => {
    const named = (name: string, code: string) => ({ name, code, channelId: null });
    expect(parseCommand('edit abcd efgh')).toEqual(named('edit', 'abcd efgh'));
    expect(parseCommand('  Qr   abcd   efgh  ')).toEqual(named('qr', 'abcd efgh'));
    expect(parseCommand('history\tab_cd-ef')).toEqual(named('history', 'ab_cd-ef'));
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

  it('reads a verb without its code as no code (the person then picks one)', () => {
    const cases: [string, string][] = [
      ['edit', 'edit'],
      ['qr', 'qr'],
      ['show', 'qr'],
      ['delete   ', 'delete'],
      ['history', 'history'],
      ['share', 'share'],
    ];
    for (const [text, name] of cases) {
      expect(parseCommand(text)).toEqual({ name, code: null, channelId: null });
    }
    expect(parseCommand('share <#C123|general>')).toEqual({
      name: 'share',
      code: null,
      channelId: 'C123',
    });
  });

  it('decodes what Slack escapes in the text: &amp;, &lt; and &gt;', () => {
    expect(parseCommand('list R&amp;D')).toEqual({ name: 'list', filter: 'R&D' });
    expect(parseCommand('list a &lt;b&gt; c')).toEqual({ name: 'list', filter: 'a <b> c' });
    // Typed `&lt;` arrives as `&amp;lt;`: it stays the text `&lt;`.
    expect(parseCommand('list &amp;lt;')).toEqual({ name: 'list', filter: '&lt;' });
    expect(parseCommand('edit ab&amp;cd')).toMatchObject({ name: 'edit', code: 'ab&cd' });
    expect(decodeSlackEscapes('&amp;amp;')).toBe('&amp;');
  });

  it('never reads typed text as a channel link once decoded', () => {
    // A real link arrives as <#C…>; `<#C999>` typed arrives escaped and stays part of the code.
    expect(parseCommand('share ABCD &lt;#C999&gt;')).toEqual({
      name: 'share',
      code: 'ABCD <#C999>',
      channelId: null,
    });
  });

  it('clips a list filter to what the Next button can carry', () => {
    const parsed = parseCommand(`list ${'x'.repeat(5000)}`);
    expect(parsed).toEqual({ name: 'list', filter: 'x'.repeat(MAX_FILTER_LENGTH) });
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
