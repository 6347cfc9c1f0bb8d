/**
 * Sampling and scoring are separate stages. Frames are sampled by an executor:
 * the local decoder lanes (media/sampling), whose frames any scorer takes (the
 * local engine pool or the classifier function), or the function fleet, which
 * samples AND scores in one invocation (fleet/sample-and-score.ts). The engine
 * picks one per video from the run's sampleOn and the scorer's kind.
 */
import { InputError } from '../core/errors.js';
import type { MediaInfo } from '../media/probe.js';
import { LambdaConfigError } from './fleet/errors.js';
import { samplingRefusal, samplingUnavailable, type SampleOn } from './fleet/sampling-refusal.js';
import type { LambdaScorer } from './fleet/scorer.js';
import type { OpenedInput } from './opened-input.js';
import type { FrameScorer } from './scorer.js';

export { SAMPLE_ON, type SampleOn } from './fleet/sampling-refusal.js';

/** The scorers a run may have: the local engine pool, or the classifier function (which can also sample). */
export type RunScorer = (FrameScorer & { readonly kind: 'local' }) | LambdaScorer;

/** lanes: decoded here, scored by the run's scorer. fleet: sampled and scored in the function. */
export type Executor =
  | { readonly kind: 'lanes'; readonly note?: string }
  | { readonly kind: 'fleet'; readonly fleet: LambdaScorer };

/**
 * Where this video is sampled. sampleOn auto: in the fleet when the scorer is the
 * fleet and the function can sample the object; lambda insists (an InputError
 * naming the video when it cannot); local always decodes here.
 */
export function chooseExecutor(scorer: RunScorer, sampleOn: SampleOn, video: { readonly opened: OpenedInput; readonly media: MediaInfo }): Executor {
  if (scorer.kind !== 'fleet' || sampleOn === 'local') return { kind: 'lanes' };
  const refusal = samplingRefusal(video.opened, video.media, scorer.sampling);
  if (refusal === undefined) return { kind: 'fleet', fleet: scorer };
  if (sampleOn === 'lambda') throw new InputError(`cannot sample "${video.opened.source}" in the function: ${refusal}`);
  return { kind: 'lanes', note: `sampled locally: ${refusal}` };
}

/** Before any video: insisting on sampling in the fleet needs a fleet that samples. */
export function checkSampleOn(scorer: RunScorer, sampleOn: SampleOn): void {
  if (sampleOn !== 'lambda') return;
  if (scorer.kind !== 'fleet') throw new LambdaConfigError('sampling on Lambda needs the function fleet as the scorer');
  const unavailable = samplingUnavailable(scorer.sampling);
  if (unavailable !== undefined) throw new LambdaConfigError(`--sample-on lambda: Lambda function "${scorer.name}" does not sample videos (${unavailable})`);
}
