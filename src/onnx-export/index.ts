export { layersModelToOnnx, ONNX_IR_VERSION, ONNX_OPSET, type OnnxExport, type OnnxExportOptions } from './layers-to-onnx.js';
export { OnnxExportError, UnsupportedLayerError } from './errors.js';
export type { WeightStorage } from './serialize-graph.js';
