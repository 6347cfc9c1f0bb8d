/**
 * An inference worker: its own engine and model instance. ONNX Runtime runs one
 * worker with intra-op threads; the TF.js wasm backend is single-threaded in Node,
 * so it runs one worker per core (measured: two workers 1.9× one on two cores).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Classifier } from '../../core/classifier.js';
import { errorMessage } from '../../core/errors.js';
import { readModelBundle } from '../../core/model-files.js';
import { directoryModelFiles } from '../../core/model-directory.js';
import { chooseEngine } from './backend.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './messages.js';

const port = parentPort;
if (port === null) throw new Error('worker.ts must run as a worker thread');
const init = workerData as WorkerInit;

try {
  const started = performance.now();
  const bundle = await readModelBundle(directoryModelFiles(init.modelDir));
  const engine = await chooseEngine(init.backend, bundle, { threads: init.threads });
  const classifier = await Classifier.load(bundle, engine.load);
  port.postMessage({
    type: 'ready', backend: engine.backend, engine: classifier.engine.name, fellBack: engine.fellBack, model: classifier.identity, initMs: performance.now() - started,
  } satisfies WorkerReply);
  port.on('message', (request: WorkerRequest) => {
    const started = performance.now();
    classifier.classify(request.images, init.fit).then(
      (results) => port.postMessage({ type: 'result', id: request.id, results, inferMs: performance.now() - started } satisfies WorkerReply),
      (error: unknown) => port.postMessage({ type: 'failed', id: request.id, message: errorMessage(error) } satisfies WorkerReply),
    );
  });
} catch (error) {
  port.postMessage({ type: 'error', message: errorMessage(error), name: error instanceof Error ? error.name : 'Error' } satisfies WorkerReply);
}
