/**
 * The object check in a versioned bucket (storage.ts current()), against a
 * small local server answering HeadObject as S3 does for versions (s3rver keeps
 * no versions): a version id → that version, 404 when there is none, 405 with
 * x-amz-delete-marker when it is a delete marker; no version id → the latest,
 * 404 with x-amz-delete-marker when a delete marker is on top.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { S3Client } from '@aws-sdk/client-s3';
import { EpisodeStorage } from '../../src/lambda/episode/storage.js';

interface Version { readonly versionId: string; readonly etag?: string; readonly deleteMarker?: boolean }

/** Versions per key, oldest first. */
const versions = new Map<string, Version[]>();
let server: http.Server;
let storage: EpisodeStorage;
let client: S3Client;

before(async () => {
  server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const list = versions.get(url.pathname.replace(/^\/media\//, '')) ?? [];
    const versionId = url.searchParams.get('versionId');
    const found = versionId === null ? list.at(-1) : list.find((version) => version.versionId === versionId);
    if (found === undefined) { response.writeHead(404).end(); return; }
    if (found.deleteMarker === true) { response.writeHead(versionId === null ? 404 : 405, { 'x-amz-delete-marker': 'true', 'x-amz-version-id': found.versionId }).end(); return; }
    const ifMatch = request.headers['if-match'];
    if (typeof ifMatch === 'string' && ifMatch !== `"${found.etag!}"`) { response.writeHead(412).end(); return; }
    response.writeHead(200, { etag: `"${found.etag!}"`, 'x-amz-version-id': found.versionId, 'content-length': '1' }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new S3Client({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  storage = new EpisodeStorage(client);
});

after(async () => {
  client?.destroy();
  await new Promise<void>((resolve) => { server?.closeAllConnections(); server?.close(() => resolve()); });
});

test('the named version, still the latest: found, identified by its version id', async () => {
  versions.set('a.mp4', [{ versionId: 'v1', etag: 'e1' }]);
  assert.deepEqual(await storage.current('media', 'a.mp4', { etag: 'e1', versionId: 'v1' }), { status: 'found', identity: { etag: 'e1', versionId: 'v1' } });
});

test('a newer version uploaded (the run would read it, not the named one): changed', async () => {
  versions.set('b.mp4', [{ versionId: 'v1', etag: 'e1' }, { versionId: 'v2', etag: 'e2' }]);
  // The latest is asked for with If-Match: the named version's ETag, so S3 answers 412.
  assert.equal((await storage.current('media', 'b.mp4', { etag: 'e1', versionId: 'v1' })).status, 'changed');
  assert.equal((await storage.current('media', 'b.mp4', { versionId: 'v1' })).status, 'changed', 'also when the message named no ETag');
});

test('deleted: a delete marker on top (404), the named version a delete marker (405), or no such version (404)', async () => {
  versions.set('c.mp4', [{ versionId: 'v1', etag: 'e1' }, { versionId: 'dm', deleteMarker: true }]);
  assert.deepEqual(await storage.current('media', 'c.mp4', { etag: 'e1', versionId: 'v1' }), { status: 'deleted' });
  assert.deepEqual(await storage.current('media', 'c.mp4', { versionId: 'dm' }), { status: 'deleted' });
  assert.deepEqual(await storage.current('media', 'c.mp4', { versionId: 'v9' }), { status: 'deleted' });
});
