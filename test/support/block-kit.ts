/**
 * Slack's Block Kit limits, checked on a message's blocks, a modal or a Home tab: used by the view
 * builders' tests (`slackLimitProblems`) and by the fake Slack, which refuses what breaks them with
 * `invalid_blocks` as Slack does (`blockKitProblems`, with Slack's `[json-pointer:…]`).
 *
 * Limits from the Block Kit reference:
 * - https://docs.slack.dev/reference/block-kit/blocks (section, header, context, actions, input,
 *   divider, image: https://docs.slack.dev/reference/block-kit/blocks/image-block)
 * - https://docs.slack.dev/reference/block-kit/block-elements (button, overflow, radio buttons,
 *   selects incl. external_select: https://docs.slack.dev/reference/block-kit/block-elements/select-menu-element,
 *   inputs, pickers, image: https://docs.slack.dev/reference/block-kit/block-elements/image-element)
 * - https://docs.slack.dev/reference/block-kit/composition-objects (text, option, confirm,
 *   slack file: https://docs.slack.dev/reference/block-kit/composition-objects/slack-file-object)
 * - https://docs.slack.dev/surfaces/modals (title/submit/close 24, private_metadata 3000, 100 blocks)
 */
import type { HomeView, ModalView } from '@slack/types';

type Json = Record<string, unknown>;

/** A message's blocks, a modal or a Home tab. */
export type Surface = { type: 'message'; blocks: readonly unknown[] } | ModalView | HomeView;

/** One broken limit: where (for people and for Slack's JSON pointer) and what. */
export interface BlockKitProblem {
  /** Readable place, e.g. `block 2 (section) text`. */
  where: string;
  /** JSON pointer into what was sent, e.g. `/blocks/2/text/text` or `/view/title/text`. */
  pointer: string;
  what: string;
}

/** Whether the file an image's `slack_file` names can be shown, as Slack decides it. */
export type SlackFileResolver = (ref: { id?: string; url?: string }) => boolean;

export interface BlockKitOptions {
  /** Where the surface sits in the request: `/blocks` for a message, `/view` for a view. */
  pointer?: string;
  /**
   * Tell whether a `slack_file` can be shown (it exists, is not deleted, is the poster's, is
   * processed). Without one, a well-formed `slack_file` is accepted.
   */
  slackFile?: SlackFileResolver;
  /**
   * Also flag what Slack accepts but the app should never send (a surface with no blocks).
   * On for the view builders' tests, off in the fake.
   */
  strict?: boolean;
}

/** Every place where a surface breaks one of Slack's limits; empty when it is within them all. */
export function blockKitProblems(
  surface: Surface,
  options: BlockKitOptions = {},
): BlockKitProblem[] {
  const problems: BlockKitProblem[] = [];
  const root = options.pointer ?? (surface.type === 'message' ? '/blocks' : '/view');
  // A message's pointer names the blocks array itself; a view's names the view.
  const blocksPointer = surface.type === 'message' ? root : `${root}/blocks`;
  const fail = (where: string, pointer: string, what: string) =>
    problems.push({ where, pointer, what });

  const checkText = (
    where: string,
    pointer: string,
    object: unknown,
    max: number,
    kinds: readonly string[] = ['plain_text', 'mrkdwn'],
  ) => {
    const o = object as Json | undefined;
    if (!o || typeof o !== 'object') return fail(where, pointer, 'missing text object');
    if (!kinds.includes(String(o.type)))
      fail(where, `${pointer}/type`, `text type ${String(o.type)}`);
    const text = o.text;
    if (typeof text !== 'string' || text.length === 0)
      return fail(where, `${pointer}/text`, 'empty text');
    if (text.length > max)
      fail(where, `${pointer}/text`, `text of ${text.length} characters (max ${max})`);
  };
  const checkId = (where: string, pointer: string, name: string, id: unknown) => {
    if (id === undefined) return;
    if (typeof id !== 'string' || id.length === 0)
      return fail(where, pointer, `${name} not a string`);
    if (id.length > 255) fail(where, pointer, `${name} of ${id.length} characters (max 255)`);
  };
  const checkOption = (
    where: string,
    pointer: string,
    option: unknown,
    kinds: readonly string[] = ['plain_text'],
  ) => {
    const o = (option ?? {}) as Json;
    checkText(`${where} text`, `${pointer}/text`, o.text, 75, kinds);
    if (typeof o.value !== 'string' || o.value.length === 0)
      fail(where, `${pointer}/value`, 'option without value');
    else if (o.value.length > 150)
      fail(where, `${pointer}/value`, `option value of ${o.value.length} (max 150)`);
  };
  const checkOptions = (
    where: string,
    pointer: string,
    options: unknown,
    min: number,
    max: number,
    label: string,
    kinds: readonly string[] = ['plain_text'],
  ): unknown[] => {
    if (!Array.isArray(options)) {
      fail(where, pointer, `${label} without options`);
      return [];
    }
    if (options.length < min || options.length > max)
      fail(where, pointer, `${label} with ${options.length} options (${min}–${max})`);
    options.forEach((o, i) => {
      checkOption(`${where} option ${i}`, `${pointer}/${i}`, o, kinds);
    });
    return options;
  };
  const checkConfirm = (where: string, pointer: string, confirm: unknown) => {
    if (confirm === undefined) return;
    const c = confirm as Json;
    checkText(`${where} confirm title`, `${pointer}/title`, c.title, 100, ['plain_text']);
    checkText(`${where} confirm text`, `${pointer}/text`, c.text, 300);
    checkText(`${where} confirm button`, `${pointer}/confirm`, c.confirm, 30, ['plain_text']);
    checkText(`${where} deny button`, `${pointer}/deny`, c.deny, 30, ['plain_text']);
  };
  const checkPlaceholder = (where: string, pointer: string, placeholder: unknown) => {
    if (placeholder !== undefined)
      checkText(`${where} placeholder`, `${pointer}/placeholder`, placeholder, 150, ['plain_text']);
  };
  /** An image block or image element: `image_url` or `slack_file` ({id} or {url}), alt_text. */
  const checkImage = (where: string, pointer: string, image: Json, isBlock: boolean) => {
    if (typeof image.alt_text !== 'string' || image.alt_text.length === 0)
      fail(where, `${pointer}/alt_text`, 'missing required field: alt_text');
    else if (isBlock && image.alt_text.length > 2000)
      fail(where, `${pointer}/alt_text`, `alt_text of ${image.alt_text.length} (max 2000)`);
    const hasUrl = image.image_url !== undefined;
    const hasFile = image.slack_file !== undefined;
    if (hasUrl === hasFile) {
      fail(where, pointer, 'must provide either image_url or slack_file, not both');
      return;
    }
    if (hasUrl) {
      if (typeof image.image_url !== 'string' || !/^https?:\/\//.test(image.image_url))
        fail(where, `${pointer}/image_url`, 'invalid_url');
      else if (image.image_url.length > 3000)
        fail(where, `${pointer}/image_url`, `image_url of ${image.image_url.length} (max 3000)`);
    } else {
      const file = image.slack_file as Json | null;
      const id = typeof file?.id === 'string' ? file.id : undefined;
      const url = typeof file?.url === 'string' ? file.url : undefined;
      if (!file || typeof file !== 'object' || (id === undefined) === (url === undefined))
        fail(where, `${pointer}/slack_file`, 'slack_file needs either id or url, not both');
      else if (options.slackFile && !options.slackFile(id !== undefined ? { id } : { url }))
        fail(where, `${pointer}/slack_file`, 'invalid slack file');
    }
    if (isBlock && image.title !== undefined)
      checkText(`${where} title`, `${pointer}/title`, image.title, 2000, ['plain_text']);
  };
  const checkElement = (where: string, pointer: string, element: unknown) => {
    const e = (element ?? {}) as Json;
    checkId(where, `${pointer}/action_id`, 'action_id', e.action_id);
    checkConfirm(where, `${pointer}/confirm`, e.confirm);
    switch (e.type) {
      case 'button':
        checkText(`${where} text`, `${pointer}/text`, e.text, 75, ['plain_text']);
        if (e.value !== undefined) {
          if (typeof e.value !== 'string')
            fail(where, `${pointer}/value`, 'button value not a string');
          else if (e.value.length > 2000)
            fail(where, `${pointer}/value`, `button value of ${e.value.length} (max 2000)`);
        }
        if (typeof e.url === 'string' && e.url.length > 3000)
          fail(where, `${pointer}/url`, 'url over 3000');
        if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger')
          fail(where, `${pointer}/style`, `button style ${String(e.style)}`);
        break;
      case 'overflow':
        checkOptions(where, `${pointer}/options`, e.options, 2, 5, 'overflow');
        break;
      case 'radio_buttons':
      case 'checkboxes': {
        const options = checkOptions(
          where,
          `${pointer}/options`,
          e.options,
          1,
          10,
          e.type === 'radio_buttons' ? 'radio buttons' : 'checkboxes',
          ['plain_text', 'mrkdwn'],
        );
        if (
          e.initial_option !== undefined &&
          !options.some((o) => isDeepEqual(o, e.initial_option))
        )
          fail(where, `${pointer}/initial_option`, 'initial_option is not one of the options');
        if (Array.isArray(e.initial_options))
          e.initial_options.forEach((chosen, i) => {
            if (!options.some((o) => isDeepEqual(o, chosen)))
              fail(
                where,
                `${pointer}/initial_options/${i}`,
                'initial option is not one of the options',
              );
          });
        break;
      }
      case 'static_select':
      case 'multi_static_select': {
        checkPlaceholder(where, pointer, e.placeholder);
        let options: unknown[] = [];
        if (Array.isArray(e.option_groups)) {
          e.option_groups.forEach((group, g) => {
            const grp = (group ?? {}) as Json;
            checkText(
              `${where} group ${g} label`,
              `${pointer}/option_groups/${g}/label`,
              grp.label,
              75,
              ['plain_text'],
            );
            options = options.concat(
              checkOptions(
                `${where} group ${g}`,
                `${pointer}/option_groups/${g}/options`,
                grp.options,
                1,
                100,
                'option group',
              ),
            );
          });
        } else options = checkOptions(where, `${pointer}/options`, e.options, 1, 100, 'select');
        if (
          e.initial_option !== undefined &&
          !options.some((o) => isDeepEqual(o, e.initial_option))
        )
          fail(where, `${pointer}/initial_option`, 'initial_option is not one of the options');
        break;
      }
      case 'external_select':
      case 'multi_external_select':
        checkPlaceholder(where, pointer, e.placeholder);
        if (
          e.min_query_length !== undefined &&
          (!Number.isInteger(e.min_query_length) || (e.min_query_length as number) < 0)
        )
          fail(
            where,
            `${pointer}/min_query_length`,
            `min_query_length ${String(e.min_query_length)}`,
          );
        if (e.initial_option !== undefined)
          checkOption(`${where} initial_option`, `${pointer}/initial_option`, e.initial_option);
        if (Array.isArray(e.initial_options))
          e.initial_options.forEach((o, i) => {
            checkOption(`${where} initial option ${i}`, `${pointer}/initial_options/${i}`, o);
          });
        if (
          e.max_selected_items !== undefined &&
          (!Number.isInteger(e.max_selected_items) || (e.max_selected_items as number) < 1)
        )
          fail(where, `${pointer}/max_selected_items`, 'max_selected_items under 1');
        break;
      case 'users_select':
      case 'multi_users_select':
      case 'conversations_select':
      case 'multi_conversations_select':
      case 'channels_select':
      case 'multi_channels_select':
        checkPlaceholder(where, pointer, e.placeholder);
        break;
      case 'plain_text_input': {
        checkPlaceholder(where, pointer, e.placeholder);
        const max = (e.max_length as number | undefined) ?? 3000;
        if (max > 3000) fail(where, `${pointer}/max_length`, 'max_length over 3000');
        if (typeof e.initial_value === 'string' && e.initial_value.length > max)
          fail(
            where,
            `${pointer}/initial_value`,
            `initial_value of ${e.initial_value.length} over max_length ${max}`,
          );
        break;
      }
      case 'email_text_input':
      case 'url_text_input':
        checkPlaceholder(where, pointer, e.placeholder);
        break;
      case 'number_input':
        checkPlaceholder(where, pointer, e.placeholder);
        if (e.initial_value !== undefined && !/^\d+$/.test(String(e.initial_value)))
          fail(
            where,
            `${pointer}/initial_value`,
            `number_input initial_value ${String(e.initial_value)}`,
          );
        break;
      case 'datepicker':
        checkPlaceholder(where, pointer, e.placeholder);
        if (e.initial_date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(String(e.initial_date)))
          fail(where, `${pointer}/initial_date`, `initial_date ${String(e.initial_date)}`);
        break;
      case 'timepicker':
        checkPlaceholder(where, pointer, e.placeholder);
        if (e.initial_time !== undefined && !/^\d{2}:\d{2}$/.test(String(e.initial_time)))
          fail(where, `${pointer}/initial_time`, `initial_time ${String(e.initial_time)}`);
        break;
      case 'datetimepicker':
        if (e.initial_date_time !== undefined && !Number.isInteger(e.initial_date_time))
          fail(where, `${pointer}/initial_date_time`, 'initial_date_time is not whole seconds');
        break;
      case 'image':
        checkImage(where, pointer, e, false);
        break;
      default:
        fail(where, `${pointer}/type`, `unexpected element type ${String(e.type)}`);
    }
  };

  const isModal = surface.type === 'modal';
  const isMessage = surface.type === 'message';
  const blocks = (Array.isArray(surface.blocks) ? surface.blocks : []) as readonly Json[];
  if (!Array.isArray(surface.blocks)) fail(surface.type, blocksPointer, 'blocks is not an array');
  const maxBlocks = isMessage ? 50 : 100;
  if (blocks.length > maxBlocks)
    fail(surface.type, blocksPointer, `${blocks.length} blocks (max ${maxBlocks})`);
  if (options.strict && blocks.length === 0) fail(surface.type, blocksPointer, 'no blocks');
  const blockIds = new Set<string>();
  blocks.forEach((rawBlock, i) => {
    const block = (rawBlock ?? {}) as Json;
    const where = `block ${i} (${String(block.type)})`;
    const at = `${blocksPointer}/${i}`;
    checkId(where, `${at}/block_id`, 'block_id', block.block_id);
    if (typeof block.block_id === 'string') {
      if (blockIds.has(block.block_id))
        fail(where, `${at}/block_id`, `duplicate block_id ${block.block_id}`);
      blockIds.add(block.block_id);
    }
    switch (block.type) {
      case 'section': {
        if (block.text === undefined && block.fields === undefined) fail(where, at, 'no text');
        if (block.text !== undefined) checkText(`${where} text`, `${at}/text`, block.text, 3000);
        const fields = (block.fields as unknown[] | undefined) ?? [];
        if (fields.length > 10) fail(where, `${at}/fields`, 'more than 10 fields');
        fields.forEach((f, j) => {
          checkText(`${where} field ${j}`, `${at}/fields/${j}`, f, 2000);
        });
        if (block.accessory !== undefined)
          checkElement(`${where} accessory`, `${at}/accessory`, block.accessory);
        break;
      }
      case 'header':
        checkText(`${where} text`, `${at}/text`, block.text, 150, ['plain_text']);
        break;
      case 'context': {
        const elements = Array.isArray(block.elements) ? (block.elements as unknown[]) : [];
        if (elements.length < 1 || elements.length > 10)
          fail(where, `${at}/elements`, 'context with 1–10 elements');
        elements.forEach((e, j) => {
          const element = (e ?? {}) as Json;
          if (element.type === 'image')
            checkImage(`${where} element ${j}`, `${at}/elements/${j}`, element, false);
          else checkText(`${where} element ${j}`, `${at}/elements/${j}`, e, 3000);
        });
        break;
      }
      case 'actions': {
        const elements = Array.isArray(block.elements) ? (block.elements as unknown[]) : [];
        if (elements.length < 1 || elements.length > 25)
          fail(where, `${at}/elements`, 'actions with 1–25 elements');
        elements.forEach((e, j) => {
          checkElement(`${where} element ${j}`, `${at}/elements/${j}`, e);
        });
        break;
      }
      case 'input':
        checkText(`${where} label`, `${at}/label`, block.label, 2000, ['plain_text']);
        if (block.hint !== undefined)
          checkText(`${where} hint`, `${at}/hint`, block.hint, 2000, ['plain_text']);
        checkElement(`${where} element`, `${at}/element`, block.element);
        break;
      case 'image':
        checkImage(where, at, block, true);
        break;
      case 'divider':
        break;
      default:
        fail(where, `${at}/type`, `unexpected block type ${String(block.type)}`);
    }
  });
  if (surface.type === 'modal' || surface.type === 'home') {
    const view = surface as unknown as Json;
    checkId(surface.type, `${root}/callback_id`, 'callback_id', view.callback_id);
    const metadata = view.private_metadata;
    if (typeof metadata === 'string' && metadata.length > 3000)
      fail(
        surface.type,
        `${root}/private_metadata`,
        `private_metadata of ${metadata.length} (max 3000)`,
      );
  }
  if (isModal) {
    const view = surface as unknown as Json;
    checkText('modal title', `${root}/title`, view.title, 24, ['plain_text']);
    if (view.submit !== undefined)
      checkText('modal submit', `${root}/submit`, view.submit, 24, ['plain_text']);
    if (view.close !== undefined)
      checkText('modal close', `${root}/close`, view.close, 24, ['plain_text']);
  }
  return problems;
}

/**
 * The problems as the view builders' tests read them (`block 2 (section) text: text of 3001
 * characters (max 3000)`), strict: a surface without blocks is flagged too.
 */
export function slackLimitProblems(surface: Surface): string[] {
  return blockKitProblems(surface, { strict: true }).map((p) => `${p.where}: ${p.what}`);
}

/** The problems as Slack words them in `errors` of `invalid_blocks`. */
export function slackErrors(problems: readonly BlockKitProblem[]): string[] {
  return problems.map((p) => `${p.what} [json-pointer:${p.pointer}]`);
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
