import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MODEL_NAME } from '../core/model-directory.js';

/** The package root: this file is dist/src/run/paths.js once built. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const DEFAULT_MODEL_DIR = path.join(PACKAGE_ROOT, 'models', DEFAULT_MODEL_NAME);

export const VERSION: string = (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
