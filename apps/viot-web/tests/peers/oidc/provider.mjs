// A real OpenID provider (npm `oidc-provider`) for viot-web's OIDC end-to-end tests, shaped
// like Keycloak: ID tokens carry `preferred_username`, `realm_access.roles` and
// `resource_access.<client>.roles`. Loopback only.
//
// Usage: node provider.mjs <port> <client_id> <client_secret> <redirect_uri> <post_logout_uri>
// Prints `ready <issuer>` on stdout once it listens.
//
// Test controls (never part of a real provider):
//   GET  /interaction/<uid>             a login form (field `login`) or an automatic consent
//   POST /interaction/<uid>/login       signs in the account named by `login`
//   POST /__test/tamper?mode=<mode>     the next token response carries a doctored ID token:
//                                       wrong_audience, wrong_issuer, expired, bad_signature,
//                                       wrong_nonce
//   POST /__test/rotate                 a new signing key (new kid); the old one leaves the JWKS
//   GET  /__test/stats                  counts: refresh grants, JWKS fetches, logouts
import http from 'node:http';
import { randomUUID } from 'node:crypto';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri, postLogoutUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const accessTokenTtl = Number(process.env.OIDC_ACCESS_TOKEN_TTL || 3600);

// Accounts: login name → Keycloak-shaped role claims.
const accounts = {
  alice: { realm: ['admin', 'offline_access'], client: [] },
  oscar: { realm: ['offline_access'], client: ['operator'] },
  vera: { realm: [], client: ['viewer'] },
  nobody: { realm: ['offline_access'], client: [] },
};

const stats = { refresh_grants: 0, jwks_requests: 0, logouts: 0, tokens: 0 };
let tamperMode = null;
let signingKey = await newSigningKey();
let provider = buildProvider(signingKey);

async function newSigningKey() {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  return { ...jwk, kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

function findAccount(_ctx, sub) {
  const account = accounts[sub];
  if (!account) return undefined;
  return {
    accountId: sub,
    async claims() {
      return {
        sub,
        preferred_username: sub,
        name: `Test ${sub}`,
        email: `${sub}@example.test`,
        realm_access: { roles: account.realm },
        resource_access: { [clientId]: { roles: account.client } },
      };
    },
  };
}

function buildProvider(key) {
  const configuration = {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: [postLogoutUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [key] },
    cookies: { keys: ['detectviz-test-cookie-key'] },
    pkce: { required: () => true },
    findAccount,
    claims: {
      openid: ['sub'],
      profile: ['preferred_username', 'name', 'realm_access', 'resource_access'],
      email: ['email'],
    },
    conformIdTokenClaims: false,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: { AccessToken: accessTokenTtl, IdToken: 3600, RefreshToken: 86400, Session: 86400 },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = `<!DOCTYPE html><html><body>${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button></body></html>`;
        },
      },
    },
    // First-party client: consent is implied, so a grant is made for what was asked.
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope(ctx.oidc.params.scope || 'openid');
      await grant.save();
      return grant;
    },
  };
  const instance = new Provider(issuer, configuration);
  instance.use(async (ctx, next) => {
    if (ctx.path === '/jwks') stats.jwks_requests += 1;
    await next();
    if (ctx.path === '/session/end/confirm' && ctx.status === 303) stats.logouts += 1;
    if (ctx.path !== '/token' || ctx.status !== 200 || typeof ctx.body !== 'object') return;
    stats.tokens += 1;
    if (ctx.oidc?.params?.grant_type === 'refresh_token') stats.refresh_grants += 1;
    if (tamperMode && ctx.body.id_token) {
      ctx.body = { ...ctx.body, id_token: await doctored(ctx.body.id_token, tamperMode) };
      tamperMode = null;
    }
  });
  return instance;
}

async function doctored(idToken, mode) {
  const claims = jose.decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  let key = signingKey;
  if (mode === 'wrong_audience') claims.aud = 'someone-else';
  else if (mode === 'wrong_issuer') claims.iss = 'http://127.0.0.1:1/not-the-issuer';
  else if (mode === 'expired') { claims.iat = now - 7200; claims.exp = now - 3600; }
  else if (mode === 'wrong_nonce') claims.nonce = 'not-the-nonce';
  else if (mode === 'bad_signature') key = { ...(await newSigningKey()), kid: signingKey.kid };
  else throw new Error(`unknown tamper mode ${mode}`);
  const privateKey = await jose.importJWK(key, 'RS256');
  return new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' }).sign(privateKey);
}

function readForm(request) {
  return new Promise((resolve, reject) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => resolve(new URLSearchParams(body)));
    request.on('error', reject);
  });
}

function send(response, status, type, body) {
  response.writeHead(status, { 'content-type': type });
  response.end(body);
}

async function interaction(request, response) {
  const details = await provider.interactionDetails(request, response);
  if (request.method === 'GET') {
    if (details.prompt.name !== 'login') {
      // Consent is loaded by loadExistingGrant; nothing to ask.
      return provider.interactionFinished(request, response, { consent: {} }, { mergeWithLastSubmission: true });
    }
    return send(response, 200, 'text/html', `<!DOCTYPE html><html><body><form method="post" action="/interaction/${details.uid}/login"><label>login <input name="login"></label><button>Sign in</button></form></body></html>`);
  }
  const form = await readForm(request);
  const login = form.get('login');
  if (!accounts[login]) return send(response, 401, 'text/plain', 'unknown account');
  return provider.interactionFinished(request, response, { login: { accountId: login } }, { mergeWithLastSubmission: false });
}

async function control(request, response, url) {
  if (url.pathname === '/__test/stats') return send(response, 200, 'application/json', JSON.stringify(stats));
  if (url.pathname === '/__test/tamper') {
    tamperMode = url.searchParams.get('mode');
    return send(response, 204, 'text/plain', '');
  }
  if (url.pathname === '/__test/rotate') {
    signingKey = await newSigningKey();
    provider = buildProvider(signingKey);
    return send(response, 200, 'application/json', JSON.stringify({ kid: signingKey.kid }));
  }
  return send(response, 404, 'text/plain', 'no such control');
}

const server = http.createServer((request, response) => {
  const url = new URL(request.url, issuer);
  const handle = url.pathname.startsWith('/__test/') ? control(request, response, url)
    : url.pathname.startsWith('/interaction/') ? interaction(request, response)
      : Promise.resolve(provider.callback()(request, response));
  handle.catch((error) => {
    if (!response.headersSent) send(response, 500, 'text/plain', String(error));
  });
});
server.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
