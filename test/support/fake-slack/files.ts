/**
 * Files: the three-step upload (files.getUploadURLExternal, a POST of the bytes to the upload URL,
 * files.completeUploadExternal), files.info and files.delete, and whether an image block may show
 * a file.
 *
 * - The `length` given to files.getUploadURLExternal must be the number of bytes posted to the
 *   upload URL; files.completeUploadExternal refuses the upload otherwise. Slack documents no
 *   error for this case (https://docs.slack.dev/reference/methods/files.getUploadURLExternal,
 *   https://docs.slack.dev/reference/methods/files.completeUploadExternal): the fake answers
 *   `file_not_found`, the error for "could not find the file from the upload ticket".
 * - Without `channel_id` the file stays private, the bot's own. `blocks` is ignored when
 *   `initial_comment` is given (as the method's page says).
 * - Slack processes an upload asynchronously: for `fileProcessingMs` after
 *   files.completeUploadExternal, files.info shows `mimetype: ''` and no `shares`/`channels`,
 *   its share message is not in the channel yet, and an image block naming the file is refused
 *   (python-slack-sdk#1521, #1277; node-slack-sdk#1865, #2040; slack-github-action#413).
 * - An image's `slack_file` must name a processed png/jpg/jpeg/gif the bot can see, by `id` or by
 *   `url` (url_private or permalink), else `invalid slack file [json-pointer:…/slack_file]`
 *   (https://docs.slack.dev/reference/block-kit/composition-objects/slack-file-object;
 *   python-slack-sdk#1797, bolt-python#1251).
 * - files.info / files.delete: `file_not_found`, `file_deleted`, `cant_delete_file`
 *   (https://docs.slack.dev/reference/methods/files.info, https://docs.slack.dev/reference/methods/files.delete).
 */
import type { BlockCheck } from './block-check.js';
import type { Conversations } from './conversations.js';
import { asRecord, type MethodHandler, ok200, optionalString, refuse } from './http.js';
import type { Ids } from './ids.js';
import {
  FAKE_BOT_USER_ID,
  FAKE_TEAM_DOMAIN,
  FAKE_TEAM_ID,
  type FakeSlackFile,
  type FakeSlackUpload,
} from './types.js';

/** The error files.completeUploadExternal gives when the bytes are not the announced `length`. */
export const LENGTH_MISMATCH_ERROR = 'file_not_found';

interface StoredFile {
  id: string;
  filename: string;
  title: string;
  owner: string;
  altText?: string;
  /** `length` given to files.getUploadURLExternal. */
  length: number;
  bytes?: Buffer;
  created: number;
  completed: boolean;
  /** `Date.now()` at which processing ends. */
  readyAt: number;
  deleted: boolean;
  channelId?: string;
  /** The message sharing it (when shared). */
  shareTs?: string;
}

export interface Files {
  /** Takes the bytes posted to an upload URL; false when no upload waits for them. */
  receive(fileId: string, bytes: Buffer): boolean;
  /** Whether an image block may show the file `ref` names. */
  usable(ref: { id?: string; url?: string }): boolean;
  state(fileId: string): FakeSlackFile | undefined;
  /** A private file of another user. */
  addUserFile(userId: string, filename: string, bytes: Buffer): FakeSlackFile;
  reset(): void;
  methods: Record<string, MethodHandler>;
}

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
};

export function createFiles(deps: {
  ids: Ids;
  conversations: Conversations;
  blocks: () => BlockCheck;
  uploads: FakeSlackUpload[];
  baseUrl: () => string;
  processingMs: () => number;
}): Files {
  const { ids, conversations, uploads } = deps;
  const files = new Map<string, StoredFile>();

  const extension = (f: StoredFile) => /\.([^.]+)$/.exec(f.filename)?.[1]?.toLowerCase() ?? '';
  const processing = (f: StoredFile) => !f.completed || Date.now() < f.readyAt;
  const urlPrivate = (f: StoredFile) =>
    `${deps.baseUrl()}/files-pri/${FAKE_TEAM_ID}-${f.id}/${encodeURIComponent(f.filename)}`;
  const permalink = (f: StoredFile) =>
    `https://${FAKE_TEAM_DOMAIN}.slack.com/files/${f.owner}/${f.id}/${encodeURIComponent(f.filename)}`;
  /** Conversations the file is shared in, as files.info lists them once processed. */
  const sharedIn = (f: StoredFile) =>
    f.channelId !== undefined && !processing(f) && !f.deleted ? [f.channelId] : [];
  const visibleToBot = (f: StoredFile) =>
    f.owner === FAKE_BOT_USER_ID || sharedIn(f).some((c) => conversations.isMember(c));

  /** The file object as files.info (and files.completeUploadExternal) answers it. */
  const fileObject = (f: StoredFile): Record<string, unknown> => {
    const done = !processing(f);
    const shared = sharedIn(f);
    const object: Record<string, unknown> = {
      id: f.id,
      created: Math.floor(f.created / 1000),
      timestamp: Math.floor(f.created / 1000),
      name: f.filename,
      title: f.title,
      mimetype: done ? (IMAGE_TYPES[extension(f)] ?? 'application/octet-stream') : '',
      filetype: done ? extension(f) : '',
      user: f.owner,
      user_team: FAKE_TEAM_ID,
      editable: false,
      size: f.bytes?.length ?? f.length,
      mode: 'hosted',
      is_external: false,
      is_public: shared.some((c) => c.startsWith('C')),
      url_private: urlPrivate(f),
      url_private_download: `${urlPrivate(f)}?download=1`,
      permalink: permalink(f),
      channels: shared.filter((c) => c.startsWith('C')),
      groups: shared.filter((c) => c.startsWith('G')),
      ims: shared.filter((c) => c.startsWith('D')),
      comments_count: 0,
    };
    if (f.altText !== undefined) object.alt_txt = f.altText;
    if (done && shared.length > 0 && f.shareTs !== undefined) {
      const kind = shared[0]?.startsWith('C') ? 'public' : 'private';
      object.shares = {
        [kind]: {
          [shared[0] as string]: [{ ts: f.shareTs, reply_count: 0, team_id: FAKE_TEAM_ID }],
        },
      };
    }
    return object;
  };

  const findByRef = (ref: { id?: string; url?: string }) => {
    if (ref.id !== undefined) return files.get(ref.id);
    return [...files.values()].find((f) => urlPrivate(f) === ref.url || permalink(f) === ref.url);
  };

  const methods: Record<string, MethodHandler> = {
    'files.getUploadURLExternal': ({ args, call }) => {
      const filename = optionalString(args.filename);
      if (!filename || args.length === undefined)
        return refuse(call, 'invalid_arguments', 'filename and length are required');
      const length = Number(args.length);
      if (!Number.isInteger(length) || length < 0)
        return refuse(call, 'invalid_arguments', `length ${String(args.length)}`);
      if (length === 0) return refuse(call, 'missing_argument', 'length 0');
      // Slack documents `alt_txt`; @slack/web-api 8 sends `alt_text`: keep whichever came.
      const altText = optionalString(args.alt_txt) ?? optionalString(args.alt_text);
      if (altText !== undefined && altText.length > 1000)
        return refuse(call, 'alt_txt_too_large', `alt text of ${altText.length} (max 1000)`);
      const fileId = ids.id('F');
      files.set(fileId, {
        id: fileId,
        filename,
        title: filename,
        owner: FAKE_BOT_USER_ID,
        altText,
        length,
        created: Date.now(),
        completed: false,
        readyAt: Number.POSITIVE_INFINITY,
        deleted: false,
      });
      return ok200({ ok: true, upload_url: `${deps.baseUrl()}/upload/${fileId}`, file_id: fileId });
    },

    'files.completeUploadExternal': ({ args, call }) => {
      const entries = Array.isArray(args.files) ? (args.files as unknown[]) : undefined;
      if (!entries || entries.length === 0)
        return refuse(call, 'invalid_arguments', 'files is not a non-empty array');
      const chosen: { file: StoredFile; title?: string }[] = [];
      for (const entry of entries) {
        const id = optionalString(asRecord(entry)?.id) ?? '';
        const file = files.get(id);
        if (!file || file.completed || file.owner !== FAKE_BOT_USER_ID)
          return refuse(call, 'file_not_found', `no upload waiting for completion as ${id}`);
        if (!file.bytes)
          return refuse(call, 'file_not_found', `no bytes were posted to the upload URL of ${id}`);
        if (file.bytes.length !== file.length)
          return refuse(
            call,
            LENGTH_MISMATCH_ERROR,
            `${id}: files.getUploadURLExternal was told ${file.length} bytes, ${file.bytes.length} were posted`,
          );
        chosen.push({ file, title: optionalString(asRecord(entry)?.title) });
      }
      const channelId = optionalString(args.channel_id);
      const comment = optionalString(args.initial_comment);
      const threadTs = optionalString(args.thread_ts);
      // Slack ignores `blocks` when there is an initial comment.
      const blocks = comment === undefined ? args.blocks : undefined;
      if (channelId !== undefined) {
        const denied = conversations.postingRefusal(channelId, call);
        if (denied) return denied;
      }
      const badBlocks = deps.blocks().messageBlocks(blocks, call);
      if (badBlocks) return badBlocks;

      const readyAt = Date.now() + deps.processingMs();
      const shareTs = channelId !== undefined ? ids.ts() : undefined;
      for (const { file, title } of chosen) {
        file.completed = true;
        file.readyAt = readyAt;
        if (title !== undefined) file.title = title;
        file.channelId = channelId;
        file.shareTs = shareTs;
        const upload: FakeSlackUpload = {
          fileId: file.id,
          channelId,
          initialComment: comment,
          threadTs,
          filename: file.filename,
          title: file.title,
          altText: file.altText,
          bytes: file.bytes as Buffer,
          token: call.token,
        };
        if (Array.isArray(args.blocks)) upload.blocks = args.blocks;
        uploads.push(upload);
      }
      if (channelId !== undefined && shareTs !== undefined) {
        // The share message shows up once the files are processed.
        conversations.add(
          {
            channel: channelId,
            type: 'message',
            subtype: 'file_share',
            text: comment ?? '',
            ...(Array.isArray(blocks) ? { blocks } : {}),
            user: FAKE_BOT_USER_ID,
            ts: shareTs,
            ...(threadTs !== undefined ? { thread_ts: threadTs } : {}),
            files: chosen.map(({ file }) => ({ id: file.id, mode: 'hosted' as const })),
            upload: true,
          },
          readyAt,
        );
      }
      return ok200({ ok: true, files: chosen.map(({ file }) => fileObject(file)) });
    },

    'files.info': ({ args, call }) => {
      const id = optionalString(args.file) ?? '';
      const file = files.get(id);
      if (!file?.completed || !visibleToBot(file))
        return refuse(call, 'file_not_found', `no file ${id} the bot can see`);
      if (file.deleted) return refuse(call, 'file_deleted', `${id} was deleted`);
      return ok200({
        ok: true,
        file: fileObject(file),
        comments: [],
        response_metadata: { next_cursor: '' },
      });
    },

    'files.delete': ({ args, call }) => {
      const id = optionalString(args.file) ?? '';
      const file = files.get(id);
      if (!file?.completed || !visibleToBot(file))
        return refuse(call, 'file_not_found', `no file ${id} the bot can see`);
      if (file.deleted) return refuse(call, 'file_deleted', `${id} was already deleted`);
      if (file.owner !== FAKE_BOT_USER_ID)
        return refuse(call, 'cant_delete_file', `${id} belongs to ${file.owner}`);
      file.deleted = true;
      conversations.tombstone(id);
      return ok200({ ok: true });
    },
  };

  return {
    receive(fileId, bytes) {
      const file = files.get(fileId);
      if (!file || file.completed) return false;
      file.bytes = bytes;
      return true;
    },
    usable(ref) {
      const file = findByRef(ref);
      return (
        file?.completed === true &&
        !file.deleted &&
        !processing(file) &&
        extension(file) in IMAGE_TYPES &&
        visibleToBot(file)
      );
    },
    state(fileId) {
      const f = files.get(fileId);
      if (!f) return undefined;
      const shared = sharedIn(f);
      return {
        id: f.id,
        filename: f.filename,
        title: f.title,
        owner: f.owner,
        bytes: f.bytes ?? Buffer.alloc(0),
        ...(f.altText !== undefined ? { altText: f.altText } : {}),
        processing: processing(f),
        deleted: f.deleted,
        channels: shared,
        shares:
          shared.length > 0 && f.shareTs !== undefined
            ? [{ channel: shared[0] as string, ts: f.shareTs }]
            : [],
      };
    },
    addUserFile(userId, filename, bytes) {
      const id = ids.id('F');
      files.set(id, {
        id,
        filename,
        title: filename,
        owner: userId,
        length: bytes.length,
        bytes,
        created: Date.now(),
        completed: true,
        readyAt: Date.now(),
        deleted: false,
      });
      return this.state(id) as FakeSlackFile;
    },
    reset() {
      files.clear();
    },
    methods,
  };
}
