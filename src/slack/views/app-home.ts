import type { HomeView, KnownBlock } from '@slack/types';
import type { InstallCode } from '../../codes/model.js';
import { ACTIONS } from '../ids.js';
import { codeMenu, codeSection } from './code-card.js';
import { mrkdwn, plain } from './format.js';

export const HOME_CODES = 10;

/** The App Home: a Create button and the newest codes, each with its menu. */
export function buildAppHome(codes: InstallCode[], now: number, mayUse: boolean): HomeView {
  if (!mayUse) {
    return {
      type: 'home',
      blocks: [mrkdwn('*installcode* is for the support team. Ask an admin if you need access.')],
    };
  }
  const blocks: KnownBlock[] = [
    { type: 'header', text: plain('Installation codes') },
    {
      type: 'actions',
      block_id: 'home_actions',
      elements: [
        {
          type: 'button',
          action_id: ACTIONS.homeCreate,
          style: 'primary',
          text: plain('Create a code'),
        },
      ],
    },
    mrkdwn(codes.length ? '*Newest codes*' : 'No codes yet.'),
  ];
  for (const code of codes.slice(0, HOME_CODES)) {
    blocks.push(
      { type: 'divider' },
      codeSection(code, now, codeMenu(code, ['qr', 'edit', 'share', 'history', 'delete'])),
    );
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: 'Type `/installcode help` for every command.' }],
  });
  return { type: 'home', blocks };
}
