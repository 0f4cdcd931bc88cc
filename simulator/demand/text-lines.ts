/**
 * Streams the lines of a text file that may be gzipped, recognised by its magic bytes (1f 8b), not
 * by its name. Memory stays flat whatever the file size. Reports progress in bytes of the file on
 * disk so a caller can show how far it is. Must never load the whole file into memory.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export type TextEncoding = 'gzip' | 'plain';

export interface LineProgress {
  bytesRead: number;
  totalBytes: number;
  lines: number;
}

export interface TextLineSource {
  encoding: TextEncoding;
  totalBytes: number;
  lines: AsyncIterable<string>;
}

export async function detectEncoding(path: string): Promise<TextEncoding> {
  const handle = await open(path, 'r');
  try {
    const magic = Buffer.alloc(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b ? 'gzip' : 'plain';
  } finally {
    await handle.close();
  }
}

/**
 * Opens `path` for line-by-line reading. `onProgress` is called at most every `progressEvery`
 * lines (and once at the end). A corrupt or truncated gzip stream rejects the iteration with an
 * Error that says how many lines had been read.
 */
export async function openTextLines(
  path: string,
  onProgress?: (p: LineProgress) => void,
  progressEvery = 20_000,
): Promise<TextLineSource> {
  const encoding = await detectEncoding(path);
  const totalBytes = (await stat(path)).size;
  const raw = createReadStream(path);
  let bytesRead = 0;
  raw.on('data', (chunk: Buffer | string) => {
    bytesRead += chunk.length;
  });
  let text: Readable = raw;
  if (encoding === 'gzip') {
    const gunzip = createGunzip();
    raw.on('error', (error) => gunzip.destroy(error));
    text = raw.pipe(gunzip);
  }
  const lines = async function* (): AsyncGenerator<string> {
    const reader = createInterface({ input: text, crlfDelay: Infinity });
    let count = 0;
    try {
      for await (const line of reader) {
        count++;
        if (onProgress && count % progressEvery === 0) onProgress({ bytesRead, totalBytes, lines: count });
        yield line;
      }
    } catch (error) {
      throw new Error(`${path}: cannot read past line ${count}: ${(error as Error).message}`);
    } finally {
      reader.close();
      raw.destroy();
    }
    onProgress?.({ bytesRead, totalBytes, lines: count });
  };
  return { encoding, totalBytes, lines: lines() };
}
