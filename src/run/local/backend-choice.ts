/** The engines --backend (and the library's `backend`) may name; apart from backend.ts so naming one loads no engine. */
export type BackendChoice = 'auto' | 'onnx' | 'wasm' | 'node' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'onnx', 'wasm', 'node', 'cpu'];
