/**
 * Errors from the TF.js → ONNX export. Callers catch these to fall back to
 * running the model on TF.js.
 */

/** The model uses a layer class, or a layer option, the exporter does not map. */
export class UnsupportedLayerError extends Error {
  override name = 'UnsupportedLayerError';
  readonly layerName: string;
  readonly className: string;
  constructor(layerName: string, className: string, detail: string, options?: ErrorOptions) {
    super(`cannot export layer "${layerName}" (${className}) to ONNX: ${detail}`, options);
    this.layerName = layerName;
    this.className = className;
  }
}

/** The artifacts are not a TF.js layers model the exporter can read (topology, weights). */
export class OnnxExportError extends Error {
  override name = 'OnnxExportError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
