import cliProgress from 'cli-progress';
import type { Writable } from 'node:stream';
import type { Progress } from '../../run/events.js';

export type { Progress } from '../../run/events.js';

export type ProgressStyle = 'bar' | 'lines' | 'none';

/** A bar on a TTY (never in CI), plain lines otherwise, nothing with --quiet. */
export function progressStyle(stream: Writable & { isTTY?: boolean }, env: NodeJS.ProcessEnv, quiet: boolean): ProgressStyle {
  if (quiet) return 'none';
  return stream.isTTY === true && !env.CI ? 'bar' : 'lines';
}

/** `done`: what finishing a frame means, as the display says it ("scored", or "written" for sample). */
export function createProgress(style: ProgressStyle, stream: Writable, done = 'scored'): Progress {
  if (style === 'none') return { begin() {}, sampled() {}, classified() {}, end() {} };
  return style === 'bar' ? barProgress(stream, done) : lineProgress(stream, done);
}

function barProgress(stream: Writable, verb: string): Progress {
  let bar: cliProgress.SingleBar | undefined;
  let sampled = 0;
  let done = 0;
  let failed = 0;
  let started = 0;
  const payload = () => ({ sampled, failed, ok: done - failed, fps: rate(done, started) });
  return {
    begin(label, total) {
      sampled = done = failed = 0;
      started = performance.now();
      bar = new cliProgress.SingleBar(
        {
          stream: stream as NodeJS.WritableStream,
          // {value} counts frames finished either way; {ok} only those that succeeded.
          format: `${label} [{bar}] {value}/{total} done | {ok} ${verb} |${verb === 'sampled' ? '' : ' {sampled} sampled |'} {failed} failed | {fps} fps | ETA {eta_formatted}`,
          hideCursor: true,
          clearOnComplete: false,
          etaBuffer: 30,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0, payload());
    },
    sampled() { sampled += 1; bar?.update(done, payload()); },
    classified(isFailed) { done += 1; if (isFailed) failed += 1; bar?.update(done, payload()); },
    end() { bar?.stop(); bar = undefined; },
  };
}

function lineProgress(stream: Writable, verb: string): Progress {
  let label = '';
  let total = 0;
  let done = 0;
  let failed = 0;
  let started = 0;
  let lastLine = 0;
  const line = (): void => {
    // Failed frames are not counted as scored: "6/12 frames scored, 6 failed".
    stream.write(`framescore: ${label}: ${done - failed}/${total} frames ${verb}${failed ? `, ${failed} failed` : ''} (${rate(done, started)} frames/s)\n`);
    lastLine = performance.now();
  };
  return {
    begin(name, count) { label = name; total = count; done = failed = 0; started = lastLine = performance.now(); },
    sampled() {},
    classified(isFailed) {
      done += 1;
      if (isFailed) failed += 1;
      // A line every 10% or every 5 s keeps CI logs short but alive.
      const step = Math.max(1, Math.ceil(total / 10));
      if (done === total || done % step === 0 || performance.now() - lastLine > 5000) line();
    },
    end() {},
  };
}

function rate(done: number, started: number): string {
  const seconds = (performance.now() - started) / 1000;
  return seconds > 0 ? (done / seconds).toFixed(1) : '0.0';
}
