// A real OpenID provider for the single sign-on tests: the npm package oidc-provider (the
// certified implementation), served on loopback. Started by tests/oidc_helpers.py, never by
// the app.
//
//   OIDC_ACCOUNTS='{"login": {"password": "...", "sub": "...", "claims": {...}}}' \
//     node tests/oidc/provider.mjs
//
// It listens on a free port of 127.0.0.1, prints "listening http://127.0.0.1:PORT" once the
// discovery document is served there, and stops when its standard input closes (the test
// process went away). Clients register themselves (RFC 7591, open registration: test only).
// Its own login and consent pages replace the package's development ones, which load a font
// from an internet host (the browser tests allow no other host).
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'e2e', 'package.json'));
const { default: Provider } = await import(require.resolve('oidc-provider'));

const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');
const bySub = new Map(Object.values(accounts).map((a) => [a.sub, a]));

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8">
<title>${escape(title)}</title></head><body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;

function readForm(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { data += chunk; if (data.length > 65536) req.destroy(); });
    req.on('end', () => resolve(Object.fromEntries(new URLSearchParams(data))));
    req.on('error', reject);
  });
}

function send(res, status, html) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(html);
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: ['test-only-cookie-key-0123456789'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], desk: ['desk_role'] },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = page('ログアウトしますか', `${form}<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">ログアウトする</button>`);
        },
        postLogoutSuccessSource: async (ctx) => { ctx.body = page('ログアウトしました', ''); },
      },
    },
    pkce: { required: () => true },
    async findAccount(ctx, sub) {
      const account = bySub.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...account.claims }) };
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('エラー', `<pre>${escape(JSON.stringify(out))}</pre>`);
    },
  });
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  const oidc = provider.callback();

  async function interaction(req, res, uid, action) {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) return send(res, 400, page('エラー', ''));
    const { prompt, params } = details;
    if (req.method === 'GET' && prompt.name === 'login') {
      return send(res, 200, page('テスト用IdPにサインイン', `<form method="post" action="/interaction/${uid}/login">
<label>ログインID <input name="login" autocomplete="username" required></label>
<label>パスワード <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">サインイン</button></form>`));
    }
    if (req.method === 'GET' && prompt.name === 'consent') {
      return send(res, 200, page('アクセスの許可', `<p>${escape(params.client_id)} に次の情報を渡します: ${escape(params.scope)}</p>
<form method="post" action="/interaction/${uid}/confirm"><button type="submit">許可する</button></form>`));
    }
    if (req.method === 'POST' && action === 'login') {
      const form = await readForm(req);
      const account = accounts[form.login];
      if (!account || account.password !== form.password) {
        return send(res, 200, page('テスト用IdPにサインイン', '<p role="alert">ログインIDまたはパスワードが違います。</p>'));
      }
      return provider.interactionFinished(req, res, { login: { accountId: account.sub } },
        { mergeWithLastSubmission: false });
    }
    if (req.method === 'POST' && action === 'confirm') {
      const grant = details.grantId ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
      const missing = prompt.details;
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      const grantId = await grant.save();
      return provider.interactionFinished(req, res, { consent: { grantId } },
        { mergeWithLastSubmission: true });
    }
    return send(res, 400, page('エラー', ''));
  }

  server.on('request', (req, res) => {
    const m = req.url.match(/^\/interaction\/([\w-]+)(?:\/(login|confirm))?$/);
    if (!m) return oidc(req, res);
    return interaction(req, res, m[1], m[2]).catch((err) => {
      console.error(err);
      send(res, 500, page('エラー', ''));
    });
  });
  console.log(`listening ${issuer}`);
});

process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
