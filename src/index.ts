/**
 * framescore as a library: `import { classify } from 'framescore'`. The CLI
 * (src/cli) is a shell over the same engine (src/run).
 */
export { classify, type ClassifyOptions, type ClassifyRun, type LambdaFacts } from './api/classify.js';
export type { LambdaOptions } from './api/lambda-options.js';
export type { SampleOn } from './run/fleet/sampling-refusal.js';
export { sample, type SampleOptions } from './api/sample.js';
export { openModel, type Model } from './api/model.js';
export type { RunEvent, SamplingOptions } from './api/options.js';

// Report writers: a report as CSV, JSON or JSONL text, or a self-contained HTML page.
export { renderReport, toCsv, toJson, toJsonl, type ReportFormat } from './core/report-formats.js';
export { renderHtmlReport, writeHtmlReport, type HtmlReportOptions } from './report/html-report.js';

// Errors, by area; each sets `name` and keeps `cause`.
export { ContractError, ImageDecodeError, InputError, ModelError } from './core/errors.js';
export { BinaryNotFoundError, SubprocessError } from './media/errors.js';
export { BackendUnavailableError, OptionError } from './run/errors.js';
export { FunctionUnavailableError, LambdaConfigError } from './run/fleet/errors.js';
export { OutputError } from './report/output-files.js';

// Results and reports.
export type { FramePosition, FrameResult, FrameTelemetry, SampledFrame, Scores } from './core/results.js';
export type { Report, RunFacts, VideoFacts } from './core/report.js';
export type { LabelSummary, ScoreSummary, Segment } from './core/summary.js';
export type { FrameImage, RgbImage } from './core/image-decode.js';
export type { ModelIdentity, ModelManifest } from './core/model-manifest.js';
export type { SamplingMode, SamplingSettings } from './core/sampling-plan.js';
export type { FitMode } from './core/preprocess.js';
export type { FrameFormat } from './media/decode/frame-output.js';
export type { SamplingMethod } from './media/sampling/sampler-options.js';
export type { BackendChoice } from './run/local/backend-choice.js';

// The CLI ↔ function wire contract (src/core/contract*.ts).
export { CONTRACT_VERSION } from './core/contract.js';
export type { ErrorResponse, FrameRequest, FrameResultWire, InvokeRequest, InvokeResponse, WarmupRequest, WarmupResponse } from './core/contract.js';
export type { GopJob, SampleRequest, SampleResponse, SeekTarget } from './core/contract-sample.js';
