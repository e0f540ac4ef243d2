/**
 * The OpenAPI 3.1 document, built from the routes as registered (each route's `doc`
 * config, request schemas from the zod definitions), served at /api/openapi.json; and
 * /api/docs, a self-contained page that lists the operations and tries GETs.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { SESSION_COOKIE } from './auth.js';
import type { AuthLevel, JsonSchema, OperationDoc, PluginOptions } from './http.js';
import { errorSchema } from './schemas.js';

/** A route as the document sees it. */
export interface RouteInfo {
  method: string;
  /** Fastify form, `/api/users/:extension`. */
  url: string;
  auth: AuthLevel;
  doc?: OperationDoc;
}

export const API_VERSION = '1';

const errorRef = { $ref: '#/components/schemas/Error' };
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: errorRef } },
});

/** `/api/users/:extension` → `/api/users/{extension}`. */
export const openApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function operationId(method: string, url: string): string {
  const words = url
    .replace(/^\/api\//, '/')
    .split(/[/:-]+/)
    .filter(Boolean)
    .map((w) => w.replace(/[^A-Za-z0-9]/g, ''));
  return [method.toLowerCase(), ...words.map((w) => w.charAt(0).toUpperCase() + w.slice(1))].join('');
}

export function buildOpenApi(routes: readonly RouteInfo[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const doc = r.doc ?? { summary: `${r.method} ${r.url}`, tags: ['other'] };
    const parameters: unknown[] = [];
    for (const m of r.url.matchAll(/:([A-Za-z0-9_]+)/g)) {
      parameters.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' } });
    }
    for (const q of doc.query ?? []) {
      parameters.push({
        name: q.name,
        in: 'query',
        required: q.required ?? false,
        schema: q.schema,
        ...(q.description ? { description: q.description } : {}),
      });
    }
    const status = String(doc.response?.status ?? 200);
    const success: Record<string, unknown> = { description: doc.response?.description ?? 'Success' };
    if (status !== '204') {
      success.content = {
        [doc.response?.contentType ?? 'application/json']: { schema: doc.response?.schema ?? {} },
      };
    }
    const responses: Record<string, unknown> = { [status]: success };
    if (doc.body) {
      responses['400'] = errorResponse('Malformed JSON (MALFORMED_REQUEST)');
      responses['422'] = errorResponse(
        'The change was rejected; `fields` lists every failing field. Nothing was stored.',
      );
    }
    if (r.auth !== 'public') {
      responses['401'] = errorResponse('Not signed in (UNAUTHENTICATED)');
      responses['403'] = errorResponse(
        'Not allowed, or the CSRF token is missing (FORBIDDEN, CSRF_TOKEN_INVALID)',
      );
    }
    if (r.url.includes(':')) responses['404'] = errorResponse('No such entity (NOT_FOUND)');
    responses.default = errorResponse('Any other error (see the error table in docs/api.md)');
    const security =
      r.auth === 'public' ? [] : r.auth === 'user' ? [{ session: [] }] : [{ session: [] }, { bearer: [] }];
    const op: Record<string, unknown> = {
      operationId: operationId(r.method, r.url),
      summary: doc.summary,
      tags: doc.tags,
      security,
      parameters,
      responses,
      'x-auth': r.auth,
    };
    if (doc.description) op.description = doc.description;
    if (doc.body) {
      op.requestBody = {
        required: true,
        content: Object.fromEntries(
          (doc.body.contentTypes ?? ['application/json']).map((t) => [t, { schema: doc.body!.schema }]),
        ),
      };
    }
    const path = openApiPath(r.url);
    paths[path] ??= {};
    paths[path]![r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'twinline admin API',
      version: API_VERSION,
      description:
        'Configure twinline (users and their Mobility settings, hunt groups, time profiles, user rights, trunks, routes, short codes, system), watch registrations and calls. Every change is validated whole and stored all-or-nothing.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: SESSION_COOKIE,
          description:
            'From POST /api/session or /api/self/session; unsafe methods also need the x-csrf-token header',
        },
        bearer: { type: 'http', scheme: 'bearer', description: 'From POST /api/tokens' },
      },
      schemas: { Error: errorSchema as JsonSchema },
    },
    paths,
  };
}

export function openApiPlugin(routes: readonly RouteInfo[]): FastifyPluginAsync<PluginOptions> {
  return async (app) => {
    let cached: string | undefined;
    app.get('/api/openapi.json', {
      config: {
        auth: 'public',
        doc: {
          summary: 'This OpenAPI 3.1 document',
          tags: ['documentation'],
          response: { schema: { type: 'object' } },
        },
      },
      handler: async (_request, reply) => {
        // Built on first use: every plugin has registered its routes by then.
        cached ??= JSON.stringify(buildOpenApi(routes));
        reply.type('application/json; charset=utf-8');
        return cached;
      },
    });

    app.get('/api/docs', {
      config: {
        auth: 'public',
        doc: {
          summary: 'An interactive page listing the operations',
          tags: ['documentation'],
          response: { contentType: 'text/html', schema: { type: 'string' } },
        },
      },
      handler: async (_request, reply) => {
        const nonce = randomBytes(16).toString('base64');
        reply
          .type('text/html; charset=utf-8')
          .header(
            'content-security-policy',
            `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
          );
        return docsPage(nonce);
      },
    });
  };
}

/** The API page: plain HTML and script, nothing fetched but this server's own API. */
function docsPage(nonce: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>twinline admin API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style nonce="${nonce}">
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;max-width:70em;color:#222}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em;border-bottom:1px solid #ccc}
.op{border:1px solid #ddd;border-radius:4px;margin:.4em 0;padding:.4em .6em}
.m{display:inline-block;min-width:4.5em;font-weight:bold;font-family:monospace}
.GET{color:#06c}.POST{color:#080}.PUT{color:#a60}.PATCH{color:#a0a}.DELETE{color:#c00}
code{font-family:monospace}.sum{color:#555;margin-left:.5em}
pre{background:#f6f6f6;padding:.5em;max-height:30em;overflow:auto;white-space:pre-wrap}
input{font:inherit;margin:.1em .3em .1em 0}label{margin-right:.6em}.lock{color:#999;font-size:.85em}
</style></head><body>
<h1>twinline admin API</h1>
<p>Sign in, or paste a bearer token (<code>POST /api/tokens</code>), then try any GET below.
The machine-readable document is <a href="/api/openapi.json">/api/openapi.json</a>.</p>
<form id="signin"><label>Account <input name="account" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button>Sign in</button> <span id="who"></span></form>
<p><label>Bearer token <input id="token" size="50" autocomplete="off"></label></p>
<div id="ops">Loading…</div>
<script nonce="${nonce}">
(function(){
  var el=function(tag,attrs,text){var e=document.createElement(tag);for(var k in attrs||{})e.setAttribute(k,attrs[k]);if(text!=null)e.textContent=text;return e;};
  var headers=function(){var t=document.getElementById('token').value.trim();return t?{authorization:'Bearer '+t}:{};};
  document.getElementById('signin').addEventListener('submit',function(ev){
    ev.preventDefault();var f=ev.target;
    fetch('/api/session',{method:'POST',credentials:'same-origin',headers:{'content-type':'application/json'},
      body:JSON.stringify({account:f.account.value,password:f.password.value})})
    .then(function(r){return r.json().then(function(b){document.getElementById('who').textContent=r.ok?'signed in as '+b.account:(b.error&&b.error.message)||r.status;});});
  });
  fetch('/api/openapi.json').then(function(r){return r.json();}).then(function(doc){
    var root=document.getElementById('ops');root.textContent='';var byTag={};
    Object.keys(doc.paths).sort().forEach(function(p){Object.keys(doc.paths[p]).forEach(function(m){
      var op=doc.paths[p][m];var tag=(op.tags&&op.tags[0])||'other';(byTag[tag]=byTag[tag]||[]).push({path:p,method:m.toUpperCase(),op:op});});});
    Object.keys(byTag).sort().forEach(function(tag){
      root.appendChild(el('h2',{},tag));
      byTag[tag].forEach(function(o){
        var box=el('div',{class:'op'});var head=el('div');
        head.appendChild(el('span',{class:'m '+o.method},o.method));head.appendChild(el('code',{},o.path));
        head.appendChild(el('span',{class:'sum'},o.op.summary||''));
        if(o.op['x-auth']&&o.op['x-auth']!=='public')head.appendChild(el('span',{class:'lock'},' ('+o.op['x-auth']+')'));
        box.appendChild(head);
        if(o.op.description)box.appendChild(el('div',{class:'sum'},o.op.description));
        if(o.method==='GET'&&!/events$/.test(o.path)){
          var form=el('form');var inputs=[];
          (o.op.parameters||[]).forEach(function(prm){var l=el('label',{},prm.name+(prm.in==='path'?'*':'')+' ');
            var i=el('input',{name:prm.name,'data-in':prm.in,size:'14'});l.appendChild(i);form.appendChild(l);inputs.push(i);});
          form.appendChild(el('button',{},'Try'));var out=el('pre');out.hidden=true;
          form.addEventListener('submit',function(ev){ev.preventDefault();var url=o.path;var qs=[];
            inputs.forEach(function(i){if(i.dataset.in==='path')url=url.replace('{'+i.name+'}',encodeURIComponent(i.value));
              else if(i.value)qs.push(encodeURIComponent(i.name)+'='+encodeURIComponent(i.value));});
            if(qs.length)url+='?'+qs.join('&');
            fetch(url,{credentials:'same-origin',headers:headers()}).then(function(r){return r.text().then(function(t){
              var body=t;try{body=JSON.stringify(JSON.parse(t),null,2);}catch(e){}
              out.hidden=false;out.textContent=r.status+' '+r.statusText+'\\n\\n'+body;});});
          });
          box.appendChild(form);box.appendChild(out);
        }
        root.appendChild(box);
      });
    });
  });
})();
</script></body></html>`;
}
