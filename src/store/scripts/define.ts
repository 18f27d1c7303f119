import type { Cluster, Redis } from 'ioredis';

type Client = Redis | Cluster;
export type ScriptArg = string | number;

/**
 * A Lua script with named KEYS and ARGV. The prelude binds each name to a Lua local of the same
 * name, and `run` takes both as objects, so the compiler checks a call's arity and order and the
 * Lua reads `record`, not `KEYS[1]`. (BullMQ keeps its scripts as .lua files; ours are TypeScript
 * modules so that the record's field names are interpolated from one place, record.ts, and no
 * build step has to copy them.)
 */
export interface ScriptSpec<K extends string, A extends string> {
  /** The ioredis command name (EVALSHA with a fallback to EVAL). */
  name: string;
  keys: readonly K[];
  args: readonly A[];
  lua: string;
}

export interface Script<K extends string, A extends string, R> extends ScriptSpec<K, A> {
  /** `list`: further ARGV after the named ones, for a script that takes a list of items. */
  run(
    redis: Client,
    keys: Record<K, string>,
    args: Record<A, ScriptArg>,
    list?: readonly ScriptArg[],
  ): Promise<R>;
}

/** `defineScript<Reply>()({...})`: the reply type first, the names inferred from the spec. */
export function defineScript<R>() {
  return <const K extends string, const A extends string>(
    spec: ScriptSpec<K, A>,
  ): Script<K, A, R> => {
    const script: Script<K, A, R> = {
      ...spec,
      lua: `${prelude('KEYS', spec.keys)}${prelude('ARGV', spec.args)}${spec.lua}`,
      run(redis, keys, args, list = []) {
        const command = (redis as unknown as Record<string, (...a: ScriptArg[]) => Promise<R>>)[
          spec.name
        ];
        if (!command) throw new Error(`script ${spec.name} is not registered on this client`);
        return command.call(
          redis,
          ...spec.keys.map((name) => keys[name]),
          ...spec.args.map((name) => args[name]),
          ...list,
        );
      },
    };
    return script;
  };
}

function prelude(table: 'KEYS' | 'ARGV', names: readonly string[]): string {
  if (!names.length) return '';
  return `local ${names.join(', ')} = ${names.map((_, i) => `${table}[${i + 1}]`).join(', ')}\n`;
}

/** Makes the scripts callable on the client (ioredis loads each on first use). */
export function registerScripts(
  redis: Client,
  scripts: readonly ScriptSpec<string, string>[],
): void {
  for (const script of scripts) {
    redis.defineCommand(script.name, { numberOfKeys: script.keys.length, lua: script.lua });
  }
}
