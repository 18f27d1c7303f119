import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The LD_PRELOAD shim of clock-shift/clock-shift.c, which shifts a process's wall clock by the
 * offset in a file that the test rewrites while the process runs.
 */

const source = fileURLToPath(new URL('./clock-shift/clock-shift.c', import.meta.url));
let built: Promise<string> | undefined;

/** The shim's shared library, compiled once per run and cached by a hash of its source. */
export function buildClockShift(): Promise<string> {
  built ??= compile();
  return built;
}

async function compile(): Promise<string> {
  const code = readFileSync(source);
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'installcode-clock-shift');
  const library = join(dir, `clock-shift-${hash}.so`);
  if (existsSync(library)) return library;
  mkdirSync(dir, { recursive: true });
  // Another vitest worker may build it at the same time: each builds its own, rename is atomic.
  const partial = `${library}.${randomUUID()}.tmp`;
  try {
    await promisify(execFile)('cc', ['-shared', '-fPIC', '-O2', '-o', partial, source, '-ldl']);
  } catch (error) {
    rmSync(partial, { force: true });
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        'No C compiler (cc) to build the clock-shift test shim: install gcc (apt-get install gcc).',
      );
    }
    throw error;
  }
  renameSync(partial, library);
  return library;
}

/** The file the shim reads: the offset in milliseconds, then its complement (a torn-write check). */
function offsetRecord(offsetMs: number): Buffer {
  const value = BigInt.asIntN(64, BigInt(Math.round(offsetMs)));
  const record = Buffer.alloc(16);
  record.writeBigInt64LE(value, 0);
  record.writeBigInt64LE(~value, 8);
  return record;
}

/** A new offset file holding 0, for CLOCK_SHIFT_FILE. */
export function createClockShiftFile(): string {
  const file = join(tmpdir(), `installcode-clock-shift-${randomUUID()}`);
  writeFileSync(file, offsetRecord(0));
  return file;
}

/** Rewrites the offset in place: the shim maps the file, so truncating it would crash the server. */
export async function writeClockShift(file: string, offsetMs: number): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.write(offsetRecord(offsetMs), 0, 16, 0);
  } finally {
    await handle.close();
  }
}
