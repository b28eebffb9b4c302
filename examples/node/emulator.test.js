// A Node.js suite against im-emulator: the whole loop a non-Python team runs in CI.
//   start  - IMEMU_URL names a running emulator (.ci/run starts one on a free port); without it
//            this file starts `im-emulator --port 0` itself (IMEMU_CMD overrides the command)
//   reset  - POST /_emulator/reset before each test
//   call   - RongCloud through its official Node SDK (rongcloud-sdk), Tencent and OpenIM with fetch
//   read   - GET /_emulator/journal to see what the emulator received and answered
// Run: npm ci && npm test      (node >= 18: global fetch and node:test)

import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { createRequire } from 'node:module';
import readline from 'node:readline';

const require = createRequire(import.meta.url);
const RongCloud = require('rongcloud-sdk');

// The default scenario's public test credentials (README "Default credentials").
const TENCENT = { sdkappid: 1400000000, key: '5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e', admin: 'administrator' };
const OPENIM = { secret: 'openIM123', admin: 'imAdmin' };
const RONGCLOUD = { appkey: 'uwd1c0sxdlx2', secret: 'Y1W2MeFwwwRxa0' };

let base = process.env.IMEMU_URL;
let child;

async function startEmulator() {
  const [cmd, ...args] = (process.env.IMEMU_CMD || 'im-emulator').split(' ');
  child = spawn(cmd, [...args, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    lines.once('line', resolve);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`im-emulator exited ${code} before listening`)));
  });
  const m = /listening on (http\S+)/.exec(first);
  assert.ok(m, `unexpected start line: ${first}`);
  return m[1];
}

async function control(method, path, body) {
  const res = await fetch(base + '/_emulator' + path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(res.status < 400, `${method} ${path}: HTTP ${res.status}`);
  return res.json();
}

const journal = async (query) => (await control('GET', '/journal?' + new URLSearchParams(query))).entries;

// Tencent UserSig, TLS sig v2 as documented: HMAC-SHA256 over four lines, JSON, zlib, base64 with
// + / = replaced by * - _ (what tls-sig-api-v2 computes).
function userSig(identifier, { sdkappid, key } = TENCENT, expire = 86400) {
  const time = Math.floor(Date.now() / 1000);
  const content = `TLS.identifier:${identifier}\nTLS.sdkappid:${sdkappid}\nTLS.time:${time}\nTLS.expire:${expire}\n`;
  const sig = createHmac('sha256', key).update(content).digest('base64');
  const doc = { 'TLS.ver': '2.0', 'TLS.identifier': identifier, 'TLS.sdkappid': sdkappid,
                'TLS.expire': expire, 'TLS.time': time, 'TLS.sig': sig };
  return deflateSync(Buffer.from(JSON.stringify(doc))).toString('base64')
    .replace(/\+/g, '*').replace(/\//g, '-').replace(/=/g, '_');
}

async function tencent(command, body) {
  const query = new URLSearchParams({ sdkappid: String(TENCENT.sdkappid), identifier: TENCENT.admin,
    usersig: userSig(TENCENT.admin), random: String(Math.floor(Math.random() * 2 ** 32)), contenttype: 'json' });
  const res = await fetch(`${base}/v4/${command}?${query}`, { method: 'POST', body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' } });
  assert.equal(res.status, 200);
  return res.json();
}

let operation = 0;
async function openim(path, body, token) {
  const headers = { 'Content-Type': 'application/json', operationID: `node-${Date.now()}-${++operation}` };
  if (token) headers.token = token;
  const res = await fetch(base + path, { method: 'POST', headers, body: JSON.stringify(body) });
  assert.equal(res.status, 200);
  return res.json();
}

before(async () => {
  if (!base) base = await startEmulator();
  const health = await control('GET', '/health');
  assert.equal(health.status, 'ok');
});

after(() => { if (child) child.kill('SIGTERM'); });

beforeEach(async () => {
  await control('POST', '/reset');
  await control('DELETE', '/journal');
  await control('DELETE', '/faults');
});

test('RongCloud: the official Node SDK creates a group; the journal shows the signed call', async () => {
  const rongcloud = RongCloud({ appkey: RONGCLOUD.appkey, secret: RONGCLOUD.secret, api: base });
  // the SDK resolves with the parsed reply (and, on an error code, with its own error object)
  const created = await rongcloud.Group.create({ id: 'node-g1', name: 'Node group', members: [{ id: 'alice' }, { id: 'bob' }] });
  assert.deepEqual(created, { code: 200 });
  const members = await rongcloud.Group.get({ id: 'node-g1' });
  assert.equal(members.code, 200, JSON.stringify(members));
  assert.deepEqual(members.members.map((m) => m.id).sort(), ['alice', 'bob']);

  const entries = await journal({ provider: 'rongcloud' });
  assert.deepEqual(entries.map((e) => e.api), ['group/create', 'group/user/query']);
  assert.equal(entries[0].tenant, RONGCLOUD.appkey);
  assert.equal(entries[0].request.headers.Signature, '***');   // secrets are masked in the journal
  assert.equal(entries[0].response.status, 200);
});

test('RongCloud: an injected fault reaches the SDK as the documented error', async () => {
  await control('POST', '/faults', { provider: 'rongcloud', api: 'group/create', error: 1000 });
  const rongcloud = RongCloud({ appkey: RONGCLOUD.appkey, secret: RONGCLOUD.secret, api: base });
  const result = await rongcloud.Group.create({ id: 'node-g2', name: 'g', members: [{ id: 'alice' }] });
  assert.equal(result.code, 1000, JSON.stringify(result));
  const [entry] = await journal({ provider: 'rongcloud', api: 'group/create' });
  assert.equal(entry.response.status, 500);
  assert.equal(entry.response.body.code, 1000);
});

test('Tencent: a UserSig computed in JS imports an account and creates a group', async () => {
  const imported = await tencent('im_open_login_svc/account_import', { UserID: 'node_user' });
  assert.equal(imported.ErrorCode, 0, JSON.stringify(imported));
  const created = await tencent('group_open_http_svc/create_group',
    { Type: 'Public', Name: 'from node', Owner_Account: 'node_user', MemberList: [{ Member_Account: 'bob' }] });
  assert.equal(created.ActionStatus, 'OK', JSON.stringify(created));
  assert.match(created.GroupId, /^@TGS#/);
  const wrong = await tencent('group_open_http_svc/get_group_info', { GroupIdList: 'not a list' });
  assert.equal(wrong.ErrorCode, 10004);

  const entries = await journal({ provider: 'tencent' });
  assert.deepEqual(entries.map((e) => e.api), ['im_open_login_svc/account_import',
    'group_open_http_svc/create_group', 'group_open_http_svc/get_group_info']);
  assert.equal(entries[1].tenant, String(TENCENT.sdkappid));
});

test('OpenIM: admin token, register a user, create a group, read it back', async () => {
  const auth = await openim('/auth/get_admin_token', { secret: OPENIM.secret, userID: OPENIM.admin });
  assert.equal(auth.errCode, 0, JSON.stringify(auth));
  const token = auth.data.token;
  const reg = await openim('/user/user_register', { users: [{ userID: 'node1', nickname: 'Node' }] }, token);
  assert.equal(reg.errCode, 0, JSON.stringify(reg));
  const created = await openim('/group/create_group', { ownerUserID: 'node1', memberUserIDs: ['bob'],
    groupInfo: { groupID: 'nodegroup', groupName: 'from node', groupType: 2 } }, token);
  assert.equal(created.errCode, 0, JSON.stringify(created));
  const info = await openim('/group/get_groups_info', { groupIDs: ['nodegroup'] }, token);
  assert.equal(info.data.groupInfos[0].ownerUserID, 'node1');
  const missing = await openim('/group/create_group', { ownerUserID: 'nobody',
    groupInfo: { groupName: 'x', groupType: 2 } }, token);
  assert.equal(missing.errCode, 1101);

  const entries = await journal({ provider: 'openim' });
  assert.deepEqual(entries.map((e) => e.api), ['auth/get_admin_token', 'user/user_register',
    'group/create_group', 'group/get_groups_info', 'group/create_group']);
});

test('reset puts the default scenario back', async () => {
  const rongcloud = RongCloud({ appkey: RONGCLOUD.appkey, secret: RONGCLOUD.secret, api: base });
  await rongcloud.Group.create({ id: 'temp', name: 't', members: [{ id: 'alice' }] });
  await control('POST', '/reset');
  const state = await control('GET', '/state?provider=rongcloud');
  assert.deepEqual(state.rongcloud[RONGCLOUD.appkey].groups.map((g) => g.groupId), []);
});
