import { describe, expect, it } from 'vitest';
import { escapeMrkdwn, escapeUserText } from '../../src/slack/views/format.js';

const ZWSP = '\u200B';

describe('escapeUserText', () => {
  it('puts a zero-width space either side of each formatting character', () => {
    expect(escapeUserText('*bold* _it_ ~x~ `c`')).toBe(
      [
        `${ZWSP}*${ZWSP}bold${ZWSP}*${ZWSP}`,
        `${ZWSP}_${ZWSP}it${ZWSP}_${ZWSP}`,
        `${ZWSP}~${ZWSP}x${ZWSP}~${ZWSP}`,
        `${ZWSP}\`${ZWSP}c${ZWSP}\`${ZWSP}`,
      ].join(' '),
    );
  });

  it('still escapes &, < and >, and reads the same once the spaces are removed', () => {
    const text = 'R&D <!here> *team*_1';
    const shown = escapeUserText(text);
    expect(shown).not.toMatch(/[<>]/);
    expect(shown.replaceAll(ZWSP, '')).toBe(escapeMrkdwn(text));
  });

  it('leaves text without formatting characters as escapeMrkdwn does', () => {
    expect(escapeUserText('Front desk 3')).toBe('Front desk 3');
  });
});
