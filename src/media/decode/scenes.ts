import type { SceneChange } from '../../core/sampling-plan.js';
import { InputError } from '../../core/errors.js';
import { SubprocessError } from '../errors.js';
import { redact } from './extract.js';
import { runProcess } from '../process.js';
import { toolInput } from '../tool-input.js';

export interface SceneOptions {
  readonly ffmpeg: string;
  readonly input: string;
  readonly source: string;
  readonly threshold: number;
  readonly startTime: number;
  readonly start: number;
  readonly end: number;
  readonly signal?: AbortSignal | undefined;
}

const PTS = /Parsed_metadata.*\bpts_time:\s*(-?[\d.]+)/;
const SCORE = /lavfi\.scene_score=([\d.]+)/;

/**
 * Finds scene changes in one decoding pass. The picture is shrunk first: the scene
 * score barely changes and the filter costs a fraction as much.
 */
export async function detectScenes(options: SceneOptions): Promise<SceneChange[]> {
  const changes: SceneChange[] = [];
  let pendingTime: number | undefined;
  const onStderrLine = (line: string): void => {
    const pts = PTS.exec(line);
    if (pts) {
      pendingTime = Number(pts[1]) - options.startTime;
      return;
    }
    const score = SCORE.exec(line);
    if (score && pendingTime !== undefined) {
      changes.push({ time: Math.max(0, pendingTime), score: Number(score[1]) });
      pendingTime = undefined;
    }
  };
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'info',
    '-ss', (options.startTime + options.start).toFixed(6), '-copyts',
    ...(/^https?:\/\//i.test(options.input) ? ['-reconnect', '1'] : []), // see extract.ts
    '-i', toolInput(options.input),
    '-t', (options.end - options.start).toFixed(6),
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-vf', `scale=192:-2,select='gt(scene,${options.threshold})',metadata=print`,
    '-f', 'null', '-',
  ];
  try {
    await runProcess(options.ffmpeg, args, { signal: options.signal, onStderrLine });
  } catch (error) {
    if (error instanceof SubprocessError && !options.signal?.aborted) {
      throw new InputError(`cannot detect scenes in "${options.source}": ${redact(error.lastLine, options.input)}`, { cause: error });
    }
    throw error;
  }
  return changes;
}
