/** Administrator accounts: list, create, set a password, delete (never the last one). */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { ApiError, notFound } from '../errors.js';
import { field, type PluginOptions, parseBody } from '../http.js';
import { hashPassword } from '../passwords.js';
import { arrayOf } from '../schemas.js';

const PASSWORD = () => field(z.string().min(12).max(1024), '12–1024 characters');
const CreateAccountSchema = z.strictObject({
  name: field(z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/), '1–64 characters A-Z a-z 0-9 _ . @ -'),
  password: PASSWORD(),
});
const PasswordSchema = z.strictObject({ password: PASSWORD() });

const accountSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
};

export const accountsPlugin: FastifyPluginAsync<PluginOptions> = async (app, { ctx }) => {
  const tags = ['accounts'];
  const view = (a: { name: string; createdAt: number; updatedAt: number }) => ({
    name: a.name,
    createdAt: new Date(a.createdAt).toISOString(),
    updatedAt: new Date(a.updatedAt).toISOString(),
  });

  app.get('/api/accounts', {
    config: {
      doc: { summary: 'List administrator accounts', tags, response: { schema: arrayOf(accountSchema) } },
    },
    handler: async () => ctx.store.admin.listAccounts().map(view),
  });

  app.post('/api/accounts', {
    config: {
      doc: {
        summary: 'Create an administrator account',
        tags,
        body: {
          schema: {
            type: 'object',
            required: ['name', 'password'],
            properties: { name: { type: 'string' }, password: { type: 'string', minLength: 12 } },
          },
        },
        response: { status: 201, schema: accountSchema },
      },
    },
    handler: async (request, reply) => {
      const body = parseBody(CreateAccountSchema, request);
      if (ctx.store.admin.getAccount(body.name))
        throw new ApiError('ALREADY_EXISTS', `account ${body.name} already exists`);
      const now = ctx.clock.wallNow();
      const account = {
        name: body.name,
        passwordHash: await hashPassword(body.password),
        createdAt: now,
        updatedAt: now,
      };
      ctx.store.admin.putAccount(account);
      ctx.logger.info({ account: body.name }, 'admin account created');
      reply.code(201).header('location', `/api/accounts/${encodeURIComponent(body.name)}`);
      return view(account);
    },
  });

  app.put('/api/accounts/:name/password', {
    config: {
      doc: {
        summary: 'Set an administrator’s password',
        tags,
        body: {
          schema: {
            type: 'object',
            required: ['password'],
            properties: { password: { type: 'string', minLength: 12 } },
          },
        },
        response: { schema: accountSchema },
      },
    },
    handler: async (request) => {
      const { name } = request.params as { name: string };
      const body = parseBody(PasswordSchema, request);
      const stored = ctx.store.admin.getAccount(name);
      if (!stored) throw notFound(`account ${name}`);
      const account = {
        ...stored,
        passwordHash: await hashPassword(body.password),
        updatedAt: ctx.clock.wallNow(),
      };
      ctx.store.admin.putAccount(account);
      ctx.logger.info({ account: name }, 'admin password changed');
      return view(account);
    },
  });

  app.delete('/api/accounts/:name', {
    config: {
      doc: {
        summary: 'Delete an administrator account with its tokens and sessions',
        description: 'The last account cannot be deleted (409).',
        tags,
        response: { status: 204, description: 'Deleted' },
      },
    },
    handler: async (request, reply) => {
      const { name } = request.params as { name: string };
      if (!ctx.store.admin.getAccount(name)) throw notFound(`account ${name}`);
      if (ctx.store.admin.countAccounts() <= 1)
        throw new ApiError('LAST_ACCOUNT', 'the last administrator account cannot be deleted');
      ctx.store.admin.deleteAccount(name);
      ctx.logger.info({ account: name }, 'admin account deleted');
      return reply.code(204).send();
    },
  });
};
