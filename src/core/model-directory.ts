import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ModelFiles } from './model-files.js';

/** Model files read from a local directory. */
export function directoryModelFiles(dir: string): ModelFiles {
  return {
    where: dir,
    async read(name: string) {
      // Weight paths come from model.json: refuse ones that climb out of the directory.
      const resolved = path.resolve(dir, name);
      if (!resolved.startsWith(path.resolve(dir) + path.sep)) return undefined;
      try {
        return await readFile(resolved);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
  };
}

export const DEFAULT_MODEL_NAME = 'nsfw-mobilenet-v2';
