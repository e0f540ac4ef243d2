import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Harness, harness } from './helpers.js';

/** Every operation the API promises; the document must list each, and each must be a route. */
const EXPECTED = [
  'POST /api/session',
  'GET /api/session',
  'DELETE /api/session',
  'POST /api/self/session',
  'GET /api/self',
  'PATCH /api/self',
  'POST /api/tokens',
  'GET /api/tokens',
  'DELETE /api/tokens/{id}',
  'GET /api/accounts',
  'POST /api/accounts',
  'PUT /api/accounts/{name}/password',
  'DELETE /api/accounts/{name}',
  ...[
    ['users', 'extension'],
    ['hunt-groups', 'name'],
    ['time-profiles', 'name'],
    ['user-rights', 'name'],
    ['trunks', 'name'],
    ['incoming-routes', 'id'],
    ['short-codes', 'code'],
  ].flatMap(([c, p]) => [
    `GET /api/${c}`,
    `POST /api/${c}`,
    `GET /api/${c}/{${p}}`,
    `PUT /api/${c}/{${p}}`,
    `PATCH /api/${c}/{${p}}`,
    `DELETE /api/${c}/{${p}}`,
  ]),
  'GET /api/users/{extension}/effective',
  'GET /api/system',
  'PUT /api/system',
  'PATCH /api/system',
  'GET /api/warnings',
  'GET /api/audit',
  'GET /api/registrations',
  'GET /api/calls',
  'GET /api/calls/events',
  'GET /api/cdrs',
  'GET /healthz',
  'GET /readyz',
  'GET /metrics',
  'GET /api/openapi.json',
  'GET /api/docs',
];

interface Operation {
  operationId: string;
  summary: string;
  tags: string[];
  security: unknown[];
  responses: Record<string, unknown>;
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
}

describe('OpenAPI document', () => {
  let h: Harness;
  let doc: {
    openapi: string;
    paths: Record<string, Record<string, Operation>>;
    components: Record<string, unknown>;
  };
  before(async () => {
    h = await harness();
    const res = await h.app.inject({ method: 'GET', url: '/api/openapi.json' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    doc = JSON.parse(res.body);
  });
  after(() => h.close());

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({
        key: `${method.toUpperCase()} ${path}`,
        path,
        method,
        op,
      })),
    );

  it('is OpenAPI 3.1 with both ways to authenticate', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(Object.keys((doc.components as { securitySchemes: object }).securitySchemes).sort(), [
      'bearer',
      'session',
    ]);
  });

  it('lists every route the API serves, and nothing else', () => {
    assert.deepEqual(
      operations()
        .map((o) => o.key)
        .sort(),
      [...EXPECTED].sort(),
    );
    for (const { path, method } of operations()) {
      const url = path.replace(/\{([^}]+)\}/g, ':$1');
      assert.ok(
        h.app.hasRoute({ method: method.toUpperCase() as 'GET', url }),
        `${method} ${url} is a route`,
      );
    }
  });

  it('gives every operation a unique id, a summary, a tag and a success response', () => {
    const ids = new Set<string>();
    for (const { key, op } of operations()) {
      assert.ok(op.summary, key);
      assert.ok(op.tags.length > 0, key);
      assert.ok(!ids.has(op.operationId), `${key}: duplicate id ${op.operationId}`);
      ids.add(op.operationId);
      assert.ok(
        Object.keys(op.responses).some((s) => /^2/.test(s)),
        key,
      );
    }
  });

  it('public operations need no credentials; the rest do', () => {
    const publicOps = operations()
      .filter((o) => o.op.security.length === 0)
      .map((o) => o.key)
      .sort();
    assert.deepEqual(publicOps, [
      'GET /api/docs',
      'GET /api/openapi.json',
      'GET /healthz',
      'GET /readyz',
      'POST /api/self/session',
      'POST /api/session',
    ]);
  });

  it('request schemas come from the configuration model: ranges, defaults and allowed text', () => {
    const schema = doc.paths['/api/users']!.post!.requestBody!.content['application/json']!.schema as {
      properties: Record<string, { properties?: Record<string, Record<string, unknown>> }>;
      required: string[];
    };
    const delay = schema.properties.mobility!.properties!.msTeamsCoverageDelay!;
    assert.equal(delay.minimum, 0);
    assert.equal(delay.maximum, 15);
    assert.equal(delay.default, 0);
    assert.equal(delay['x-allowed'], '0–15 seconds');
    assert.ok(schema.required.includes('password'));
  });

  it('response schemas leave secrets out', () => {
    const out = doc.paths['/api/users/{extension}']!.get!.responses['200'] as {
      content: Record<string, { schema: { properties: Record<string, unknown> } }>;
    };
    const props = out.content['application/json']!.schema.properties;
    assert.ok('extension' in props);
    assert.equal('password' in props, false);
  });

  it('a rejected change is documented as 422 with the error shape', () => {
    const r = doc.paths['/api/users/{extension}']!.patch!.responses['422'] as {
      content: Record<string, { schema: { $ref: string } }>;
    };
    assert.equal(r.content['application/json']!.schema.$ref, '#/components/schemas/Error');
  });
});

describe('API page', () => {
  it('is one self-contained HTML page: no external scripts, styles or fetches', async () => {
    const h = await harness();
    try {
      const res = await h.app.inject({ method: 'GET', url: '/api/docs' });
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^text\/html/);
      assert.doesNotMatch(res.body, /https?:\/\//);
      assert.doesNotMatch(res.body, /<script[^>]+src=/);
      assert.doesNotMatch(res.body, /<link[^>]+href=/);
      assert.match(res.body, /fetch\('\/api\/openapi\.json'\)/);
      const csp = String(res.headers['content-security-policy']);
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /connect-src 'self'/);
      const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
      assert.ok(nonce && res.body.includes(`<script nonce="${nonce}">`));
    } finally {
      await h.close();
    }
  });
});
