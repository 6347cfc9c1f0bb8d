import { errorMessage } from '../core/errors.js';
import { ModelUnavailableError } from './errors.js';
import type { LoadedModel } from './model-loader.js';

export interface Acquired {
  readonly model: LoadedModel;
  /** True only for the first invocation this execution environment serves. */
  readonly coldStart: boolean;
  /**
   * Milliseconds of model initialisation this invocation accounts for: the INIT
   * load on the first invocation, a retried load after a failure, otherwise 0.
   */
  readonly initMs: number;
}

/**
 * Holds the one model of an execution environment. Loading starts at module
 * scope (during Lambda INIT); concurrent callers share the in-flight promise. A
 * failed load is not cached: the next invocation tries again.
 */
export class ModelRuntime {
  private pending: Promise<LoadedModel> | undefined;
  private invocations = 0;
  private unreportedInitMs = 0;
  private readonly load: () => Promise<LoadedModel>;
  private readonly now: () => number;

  constructor(load: () => Promise<LoadedModel>, now: () => number = () => performance.now()) {
    this.load = load;
    this.now = now;
  }

  /** Starts loading unless a load is in flight or done. */
  start(): Promise<LoadedModel> {
    if (this.pending === undefined) {
      const started = this.now();
      const settle = (): void => {
        this.unreportedInitMs += this.now() - started;
      };
      this.pending = this.load().then(
        (model) => {
          settle();
          return model;
        },
        (error: unknown) => {
          settle();
          this.pending = undefined;
          throw error instanceof ModelUnavailableError ? error : new ModelUnavailableError(`model is unavailable: ${errorMessage(error)}`, { cause: error });
        },
      );
    }
    return this.pending;
  }

  /** Counts an invocation and waits for the model. Throws ModelUnavailableError. */
  async acquire(): Promise<Acquired> {
    const coldStart = this.invocations === 0;
    this.invocations += 1;
    const model = await this.start();
    const initMs = Math.round(this.unreportedInitMs * 10) / 10;
    this.unreportedInitMs = 0;
    return { model, coldStart, initMs };
  }
}
