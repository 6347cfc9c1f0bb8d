import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { ModelError } from '../../core/errors.js';
import type { ImageResult } from '../../core/classifier.js';
import type { ModelIdentity } from '../../core/model-manifest.js';
import type { FitMode } from '../../core/preprocess.js';
import { failedFrame, type FrameResult, type SampledFrame } from '../../core/results.js';
import type { FrameScorer } from '../scorer.js';
import { BackendUnavailableError, type BackendChoice } from './backend.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './messages.js';

export interface LocalScorerOptions {
  /**
   * Inference worker threads (default one per core, at most 4), each with its own engine
   * and model. ONNX Runtime gets cores / workers intra-op threads each: one worker per
   * core with one thread measured 2.1× one worker with two threads (50 vs 24 frames/s,
   * bench/inference, 2 loaded cores); TF.js wasm is single-threaded anyway.
   */
  readonly workers?: number | undefined;
  readonly backend: BackendChoice;
  readonly modelDir: string;
  /** How still images are fitted (default crop). */
  readonly fit?: FitMode | undefined;
  /**
   * Most frames handed to one worker at once. `auto`: 1 on wasm and cpu, where batching
   * measured no faster (16.9 vs 16.4 frames/s) and a batch of 8 more than doubled
   * memory (433 → 797 MB peak RSS); 8 on tfjs-node, whose native kernels gain from it.
   */
  readonly batchSize: number | 'auto';
  /** Frames the run will score, when known before the pool starts: caps the default worker count. */
  readonly frames?: number | undefined;
}

const NATIVE_BACKEND = 'tensorflow';
const NATIVE_AUTO_BATCH = 8;

type Sampled = Extract<SampledFrame, { status: 'sampled' }>;

interface Slot {
  readonly worker: Worker;
  busy: boolean;
  pending?: { batch: Sampled[]; resolve: (results: FrameResult[]) => void };
}

/** Scores frames in-process on a pool of worker threads, each with its own model. */
export class LocalScorer implements FrameScorer {
  readonly kind = 'local' as const;
  readonly model: ModelIdentity;
  readonly description: string;
  readonly backend: string;
  private readonly slots: Slot[];
  private readonly batchSize: number;
  private nextId = 0;
  /** Runs waiting for a free slot (see score). */
  private slotWaiters: Array<() => void> = [];

  /** Why `--backend auto` did not take ONNX Runtime, when it did not. */
  readonly fellBack: string | undefined;

  private constructor(slots: Slot[], ready: Extract<WorkerReply, { type: 'ready' }>, batchSize: number) {
    this.slots = slots;
    this.model = ready.model;
    this.backend = ready.backend;
    this.fellBack = ready.fellBack;
    this.batchSize = batchSize;
    this.description = `local, ${ready.engine}, ${slots.length} worker${slots.length === 1 ? '' : 's'}`;
  }

  static async start(options: LocalScorerOptions): Promise<LocalScorer> {
    const cores = os.availableParallelism();
    // No more workers than frames: a single still need not load the model twice.
    const workers = options.workers ?? Math.max(1, Math.min(cores, 4, options.frames ?? Number.POSITIVE_INFINITY));
    const threads = Math.max(1, Math.floor(cores / workers));
    const spawn = (backend: BackendChoice): Worker => new Worker(new URL('./worker.js', import.meta.url), {
      workerData: { backend, modelDir: options.modelDir, fit: options.fit ?? 'crop', threads } satisfies WorkerInit,
    });
    // The first worker finds the engine; the others start on the one it found (no second search).
    const started = [spawn(options.backend)];
    try {
      const ready = await firstReply(started[0]!);
      const resolved: BackendChoice = ready.backend === 'tensorflow' ? 'node' : ready.backend;
      while (started.length < workers) started.push(spawn(resolved));
      await Promise.all(started.slice(1).map((worker) => firstReply(worker)));
      const slots = started.map((worker) => ({ worker, busy: false }));
      const batchSize = options.batchSize !== 'auto' ? options.batchSize : ready.backend === NATIVE_BACKEND ? NATIVE_AUTO_BATCH : 1;
      return new LocalScorer(slots, ready, batchSize);
    } catch (error) {
      await Promise.all(started.map((worker) => worker.terminate()));
      throw error;
    }
  }

  async *score(frames: AsyncIterable<SampledFrame>): AsyncGenerator<FrameResult> {
    const queue: Sampled[] = [];
    const finished: FrameResult[] = [];
    let inputDone = false;
    let inputError: { error: unknown } | undefined;
    // The consumer below and the reader (when the queue is full) each wait on their own wake-up.
    let wakeConsumer: (() => void) | undefined;
    let wakeReader: (() => void) | undefined;
    const signal = (): void => {
      const consumer = wakeConsumer;
      const reader = wakeReader;
      wakeConsumer = wakeReader = undefined;
      consumer?.();
      reader?.();
    };
    const maxQueued = this.slots.length * this.batchSize * 2;
    let inFlight = 0;

    // Several runs may score at once on one pool (still images): a slot freed by any of
    // them wakes every run waiting for one, so none waits on a slot that is already free.
    let waitingForSlot = false;
    const dispatch = (): void => {
      while (queue.length > 0) {
        const slot = this.slots.find((candidate) => !candidate.busy);
        if (slot === undefined) {
          if (!waitingForSlot) {
            waitingForSlot = true;
            this.slotWaiters.push(() => { waitingForSlot = false; dispatch(); });
          }
          return;
        }
        const batch = queue.splice(0, this.batchSize);
        slot.busy = true;
        inFlight += 1;
        this.run(slot, batch).then((results) => {
          inFlight -= 1;
          finished.push(...results);
          this.release(slot);
          dispatch();
          signal();
        });
      }
    };

    const reader = (async () => {
      try {
        for await (const frame of frames) {
          if (frame.status === 'failed') finished.push(failedFrame(frame, frame.code, frame.message));
          else queue.push(frame);
          dispatch();
          signal();
          while (queue.length >= maxQueued) await new Promise<void>((resolve) => { wakeReader = resolve; });
        }
      } catch (error) {
        inputError = { error };
      } finally {
        inputDone = true;
        signal();
      }
    })();

    while (true) {
      if (finished.length > 0) {
        yield finished.shift()!;
        signal();
        continue;
      }
      if (inputDone && queue.length === 0 && inFlight === 0) break;
      await new Promise<void>((resolve) => { wakeConsumer = resolve; });
    }
    await reader;
    if (inputError) throw inputError.error;
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  /** Frees a slot and lets every run waiting for one try again. */
  private release(slot: Slot): void {
    slot.busy = false;
    const waiters = this.slotWaiters;
    this.slotWaiters = [];
    for (const wake of waiters) wake();
  }

  private run(slot: Slot, batch: Sampled[]): Promise<FrameResult[]> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const onMessage = (reply: WorkerReply): void => {
        if ((reply.type !== 'result' && reply.type !== 'failed') || reply.id !== id) return;
        cleanup();
        if (reply.type === 'failed') resolve(batch.map((frame) => failedFrame(frame, 'INFERENCE_FAILED', reply.message)));
        else resolve(batch.map((frame, i) => toFrameResult(frame, reply.results[i])));
      };
      const onError = (error: Error): void => {
        cleanup();
        resolve(batch.map((frame) => failedFrame(frame, 'INFERENCE_FAILED', `inference worker crashed: ${error.message}`)));
      };
      const cleanup = (): void => {
        slot.worker.off('message', onMessage);
        slot.worker.off('error', onError);
      };
      slot.worker.on('message', onMessage);
      slot.worker.on('error', onError);
      // Copies, not transfers: the sampler may still be writing --save-frames from these buffers.
      slot.worker.postMessage({ id, images: batch.map((frame) => frame.image) } satisfies WorkerRequest);
    });
  }
}

function toFrameResult(frame: Sampled, result: ImageResult | undefined): FrameResult {
  const position = { index: frame.index, requestedTime: frame.requestedTime, actualTime: frame.actualTime };
  if (result === undefined) return failedFrame(position, 'INFERENCE_FAILED', 'worker returned no result');
  if (result.status === 'failed') return failedFrame(position, result.code, result.message);
  return { ...position, status: 'ok', scores: result.scores, top: result.top };
}

function firstReply(worker: Worker): Promise<Extract<WorkerReply, { type: 'ready' }>> {
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (reply: WorkerReply) => {
      if (reply.type === 'ready') resolve(reply);
      else if (reply.type === 'error') reject(reply.name === 'ModelError' ? new ModelError(reply.message) : new BackendUnavailableError(reply.message));
      else reject(new Error(`inference worker sent ${reply.type} before ready`));
    });
  });
}
