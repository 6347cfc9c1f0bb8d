/**
 * Bad model directories through the CLI: each is refused with exit 2 and one
 * line naming the model and the field, never an internal error or a report
 * with broken columns.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_MODEL_DIR } from '../../src/run/paths.js';
import { ROOT, runCli } from '../helpers/cli.js';

let work: string;
let photo: string;
before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'framescore-models-'));
  photo = path.join(ROOT, 'test', 'fixtures', 'photos', 'astronaut-224.png');
});
after(async () => { await rm(work, { recursive: true, force: true }); });

type Json = Record<string, unknown>;
let copies = 0;

/** A copy of the bundled model with its JSON files edited; `teachable` turns it into a Teachable Machine export. */
async function model(edit: { manifest?: (m: Json) => void; modelJson?: (m: Json) => void; weights?: (b: Buffer) => Buffer; teachable?: Json }): Promise<string> {
  const dir = path.join(work, `model-${++copies}`);
  await cp(DEFAULT_MODEL_DIR, dir, { recursive: true });
  const rewrite = async (name: string, change: (m: Json) => void): Promise<void> => {
    const json = JSON.parse(await readFile(path.join(dir, name), 'utf8')) as Json;
    change(json);
    await writeFile(path.join(dir, name), JSON.stringify(json));
  };
  if (edit.teachable !== undefined) {
    await rm(path.join(dir, 'framescore-model.json'));
    await rm(path.join(dir, 'model.onnx'));
    await writeFile(path.join(dir, 'metadata.json'), JSON.stringify(edit.teachable));
  }
  if (edit.manifest) await rewrite('framescore-model.json', edit.manifest);
  if (edit.modelJson) await rewrite('model.json', edit.modelJson);
  if (edit.weights) {
    const file = path.join(dir, 'group1-shard1of1.bin');
    await writeFile(file, edit.weights(await readFile(file)));
  }
  return dir;
}

async function expectRefused(dir: string, pattern: RegExp): Promise<void> {
  const result = await runCli(['classify', '--local', '--model', dir, photo, '--out', path.join(work, 'report')]);
  assert.equal(result.code, 2, result.stderr);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.ok(lines[0]!.includes(dir), `names the model: ${lines[0]}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(result.stderr, /internal error|Invalid typed array length/);
}

const labels = (list: unknown[]) => (m: Json) => { m.labels = list; };
const FIVE = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

describe('model guards: bad manifests exit 2 naming the model and the field', () => {
  it('labels: Object.prototype names, duplicates, the report\'s own columns, empty, non-strings, control characters, too long', async () => {
    const cases: Array<[unknown[], RegExp]> = [
      [['Drawing', 'Hentai', '__proto__', 'Porn', 'Sexy'], /labels\[2\] "__proto__" is a name every JavaScript object has/],
      [['Drawing', 'Hentai', 'constructor', 'Porn', 'Sexy'], /labels\[2\] "constructor"/],
      [['Drawing', 'Hentai', 'Neutral', 'Porn', 'Drawing'], /labels\[4\] "Drawing" repeats labels\[0\]; labels must be unique/],
      [['Drawing', 'Hentai', 'top_score', 'Porn', 'Sexy'], /labels\[2\] "top_score" is one of the report's own CSV columns/],
      [['Drawing', '', 'Neutral', 'Porn', 'Sexy'], /labels\[1\] is empty/],
      [['Drawing', 7, 'Neutral', 'Porn', 'Sexy'], /labels\[1\] is not a string \(number\)/],
      [['Drawing', 'Hen\ntai', 'Neutral', 'Porn', 'Sexy'], /labels\[1\] "Hen\\ntai" contains a control character/],
      [['Drawing', 'x'.repeat(201), 'Neutral', 'Porn', 'Sexy'], /labels\[1\] is 201 characters long; the limit is 200/],
    ];
    for (const [list, pattern] of cases) await expectRefused(await model({ manifest: labels(list) }), pattern);
  });

  it('a Teachable Machine export: bad labels in metadata.json, no weightsManifest, weightsManifest not a list', async () => {
    await expectRefused(await model({ teachable: { labels: ['a', 'b', 'toString', 'd', 'e'] } }), /metadata\.json is malformed: labels\[2\] "toString"/);
    await expectRefused(await model({ teachable: { labels: FIVE }, modelJson: (m) => { delete m.weightsManifest; } }), /model\.json is malformed: it has no weightsManifest/);
    await expectRefused(await model({ teachable: { labels: FIVE }, modelJson: (m) => { m.weightsManifest = { paths: ['group1-shard1of1.bin'] }; } }), /weightsManifest must be a list of \{"paths": \[\.\.\.\], "weights": \[\.\.\.\]\}/);
    await expectRefused(await model({ teachable: { labels: FIVE }, modelJson: (m) => { m.weightsManifest = [{ paths: 'group1-shard1of1.bin', weights: [] }]; } }), /weightsManifest\[0\]\.paths must be a list of file names/);
  });

  it('weights shorter than weightsManifest declares: refused with both byte counts, not "Invalid typed array length"', async () => {
    await expectRefused(await model({ teachable: { labels: FIVE }, weights: (b) => b.subarray(0, 1000) }), /its weight files hold 1000 bytes but model\.json's weightsManifest declares \d+/);
  });

  it('weights that do not fit the topology: TF.js\'s own message is prefixed with the model', async () => {
    // Same byte count, but the first tensor's shape no longer matches its layer.
    await expectRefused(await model({
      teachable: { labels: FIVE },
      modelJson: (m) => {
        const first = ((m.weightsManifest as Json[])[0]!.weights as Json[])[0]!;
        const shape = first.shape as number[];
        first.shape = [shape.reduce((a, b) => a * b, 1)];
      },
    }), /TF\.js cannot build it from model\.json and its weights/);
  });
});
