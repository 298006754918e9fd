// A webhook handler as a SignalWire developer writes one behind a proxy:
// it rebuilds the URL it was called at from X-Forwarded-Proto/-Host (else
// Host), checks every request with SignalWire's official validators, and
// says what they decided in the X-Official-Verdict answer header. It also
// remembers every request that reached it (GET /__seen, asked directly,
// not through swhook), so a test can tell what an enforcing listener let
// through. Run by cmd/official_validator_e2e_test.go; the key comes from
// $SW_SIGNING_KEY, and the ready line on stdout names the port.
'use strict';

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const querystring = require('node:querystring');
const { RestClient: compat } = require('@signalwire/compatibility-api');
const webapi = require('@signalwire/web-api');

const key = process.env.SW_SIGNING_KEY;
if (!key) {
  console.error('SW_SIGNING_KEY is not set');
  process.exit(2);
}

// first is the first of a comma-separated header's values: the one the
// first proxy set, as Express's req.hostname takes it.
function first(v) {
  if (Array.isArray(v)) v = v[0];
  if (!v) return '';
  return String(v).split(',')[0].trim();
}

// verdict is the developer's own check, the way SignalWire's docs and the
// SDKs' READMEs show it: bodySHA256 URLs with validateRequestWithBody, JSON
// bodies with @signalwire/web-api's validateRequest (raw body), form posts
// and GETs with the compatibility API's validateRequest over the parsed
// parameters (querystring, as express.urlencoded({extended: false})).
function verdict(req, url, raw) {
  const sig = req.headers['x-signalwire-signature'] || req.headers['x-twilio-signature'] || '';
  const type = String(req.headers['content-type'] || '').toLowerCase();
  try {
    if (url.indexOf('bodySHA256') > 0) {
      return compat.validateRequestWithBody(key, sig, url, raw);
    }
    if (type.startsWith('application/json')) {
      return webapi.validateRequest(key, sig, url, raw);
    }
    const params = raw.length > 0 ? querystring.parse(raw) : {};
    return compat.validateRequest(key, sig, url, params, true);
  } catch (e) {
    // web-api parses a body its hex check rejects as JSON: one that is
    // not JSON is simply not valid. Anything else is the handler's bug.
    if (e instanceof SyntaxError) return false;
    throw e;
  }
}

// versionOf reads an installed package's version (its package.json is not
// among its exports, so it cannot be required).
function versionOf(name) {
  let dir = path.dirname(require.resolve(name));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (pkg.name === name) return pkg.version;
    }
    const up = path.dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}

const seen = [];

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.url === '/__seen') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(seen));
      return;
    }
    const raw = Buffer.concat(chunks).toString('utf8');
    const proto = first(req.headers['x-forwarded-proto']) || 'http';
    const host = first(req.headers['x-forwarded-host']) || req.headers.host;
    const url = proto + '://' + host + req.url;
    let ok = false;
    let failure = '';
    try {
      ok = verdict(req, url, raw);
    } catch (e) {
      failure = String(e && e.message ? e.message : e);
    }
    seen.push({ method: req.method, url: url, valid: ok });
    const type = String(req.headers['content-type'] || '');
    const headers = {
      'X-Official-Verdict': ok ? 'valid' : 'invalid',
      'X-Official-Url': encodeURI(url),
    };
    if (failure) headers['X-Official-Error'] = encodeURI(failure);
    if (type.startsWith('application/json')) {
      headers['Content-Type'] = 'application/json';
      res.writeHead(200, headers);
      res.end('{"version":"1.0.0","sections":{"main":[{"hangup":{}}]}}');
      return;
    }
    headers['Content-Type'] = 'text/xml';
    res.writeHead(200, headers);
    res.end('<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>');
  });
});

server.listen(0, '127.0.0.1', () => {
  const versions = {
    'compatibility-api': versionOf('@signalwire/compatibility-api'),
    'web-api': versionOf('@signalwire/web-api'),
  };
  process.stdout.write(JSON.stringify({ port: server.address().port, versions }) + '\n');
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
