import { existsSync, readFileSync } from 'node:fs';
import { authorizerContext } from '../support/provider-context.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileAcl } from '../../src/acl/index.js';
import type { RequestContext } from '../../src/common/request-context.js';
import type { Authorizer } from '../../src/authz/authorizer.js';
import { authorizeScope } from '../../src/authz/authz-chain.js';
import { commandAuthorizerSchema } from '../../src/backends/command/command-authorizer.schema.js';
import { createCommandAuthorizer } from '../../src/backends/command/command.authorizer.js';
import { pushPullRequest as pushPull } from '../../src/authz/scope-request.fixture.js';
import { LABEL_LIMITS, toLabels } from '../../src/common/labels.js';
import { commandConfig, useCommandWork } from '../support/command-work.fixture.js';
import { script } from '../support/scripts/leftover-processes.js';
import { rejection } from '../support/settled.js';

/** docker_auth's ext_authz protocol, plus the {"actions": [...]} extension, against real scripts. */

const work = useCommandWork('regauth-authz-');
const ctx = (): RequestContext => ({ requestId: 'r1', ip: '10.0.0.7', service: 'registry', signal: new AbortController().signal });

async function buildSut(config: Record<string, unknown>): Promise<Authorizer> {
  return createCommandAuthorizer(commandAuthorizerSchema.parse(commandConfig(config)), authorizerContext(work.dir, 'ext_authz'));
}

describe('command authorizer', () => {
  it("writes the scope request as JSON with docker_auth's field names on stdin", async () => {
    process.env.RECORD_FILE = join(work.dir, 'authz-stdin');
    const sut = await buildSut({ command: script('exit-with.sh'), args: ['0'] });
    await sut.authorize(pushPull, ctx());
    expect(JSON.parse(readFileSync(process.env.RECORD_FILE, 'utf8'))).toEqual({
      Account: 'alice',
      Type: 'repository',
      Name: 'team/app',
      Service: 'registry',
      IP: '10.0.0.7',
      Actions: ['pull', 'push'],
      Labels: { group: ['dev'] },
    });
  });

  it('grants every requested action on exit 0 with empty stdout', async () => {
    const sut = await buildSut({ command: script('exit-with.sh'), args: ['0'] });
    expect(await sut.authorize(pushPull, ctx())).toEqual({ kind: 'decided', actions: ['pull', 'push'] });
  });

  it('grants the subset printed as {"actions": [...]} on exit 0', async () => {
    const sut = await buildSut({ command: script('exit-with.sh'), args: ['0', '{"actions": ["pull"]}'] });
    expect(await sut.authorize(pushPull, ctx())).toEqual({ kind: 'decided', actions: ['pull'] });
  });

  it('grants nothing on exit 1, as a decision', async () => {
    const sut = await buildSut({ command: script('exit-with.sh'), args: ['1'] });
    expect(await sut.authorize(pushPull, ctx())).toEqual({ kind: 'decided', actions: [] });
  });

  it.each(['2', '3'])('fails on exit %s', async (code) => {
    const sut = await buildSut({ command: script('exit-with.sh'), args: [code] });
    expect(await rejection(sut.authorize(pushPull, ctx()))).toMatchObject({ code: 'bad_exit' });
  });

  it.each([
    ['text', 'granted!'],
    ['JSON without actions', '{"result": "allow"}'],
    ['actions that are not strings', '{"actions": [1]}'],
  ])('fails on exit 0 with %s on stdout', async (_what, stdout) => {
    const sut = await buildSut({ command: script('exit-with.sh'), args: ['0', stdout] });
    expect(await rejection(sut.authorize(pushPull, ctx()))).toMatchObject({ code: 'bad_output' });
  });

  it('ignores stdout with stdout: ignore, as docker_auth does', async () => {
    const sut = await buildSut({ command: script('exit-with.sh'), args: ['0', 'debug: looks fine'], stdout: 'ignore' });
    expect(await sut.authorize(pushPull, ctx())).toEqual({ kind: 'decided', actions: ['pull', 'push'] });
  });

  it('uses the exit code of a command that exits before reading a large request', async () => {
    const manyLabels = Object.fromEntries(
      Array.from({ length: LABEL_LIMITS.keys }, (_, i) => [`k${i}`, Array.from({ length: 40 }, (_, j) => `value-${j}-${'x'.repeat(40)}`)]),
    );
    const large = { ...pushPull, labels: toLabels(manyLabels) };
    expect(JSON.stringify(large).length).toBeGreaterThan(128 * 1024);
    const sut = await buildSut({ command: script('exit-without-reading.sh'), args: ['1'] });
    expect(await sut.authorize(large, ctx())).toEqual({ kind: 'decided', actions: [] });
  });

  it('kills a command that sleeps past its deadline', async () => {
    const sut = await buildSut({ command: script('sleep-past-deadline.sh'), timeout: '200ms' });
    expect(await rejection(sut.authorize(pushPull, ctx()))).toMatchObject({ code: 'timeout' });
  });
});

describe('command authorizer in the authorization chain', () => {
  it('is not run for scopes the ACL decides', async () => {
    process.env.RECORD_FILE = join(work.dir, 'authz-not-run');
    const sut = await buildSut({ command: script('exit-with.sh'), args: ['0'] });
    const acl = compileAcl([{ match: { account: 'alice' }, actions: ['pull'] }]).acl;
    expect(await authorizeScope(acl, [sut], pushPull, ctx())).toEqual({ actions: ['pull'], decidedBy: 'acl[0]' });
    expect(existsSync(process.env.RECORD_FILE)).toBe(false);
  });

  it('cannot grant actions that were not requested', async () => {
    const sut = await buildSut({ command: script('exit-with.sh'), args: ['0', '{"actions": ["pull", "push", "delete", "*"]}'] });
    const pullOnly = { ...pushPull, actions: ['pull'] };
    expect(await authorizeScope(compileAcl([]).acl, [sut], pullOnly, ctx())).toEqual({ actions: ['pull'], decidedBy: 'ext_authz' });
  });
});

describe('shipped ext_authz examples', () => {
  const plugins = fileURLToPath(new URL('../../plugins/', import.meta.url));

  it('ext_authz.mjs grants what was asked except delete, as a subset answer', async () => {
    const sut = await buildSut({ command: join(plugins, 'ext_authz.mjs') });
    expect(await sut.authorize({ ...pushPull, actions: ['pull', 'delete'] }, ctx())).toEqual({ kind: 'decided', actions: ['pull'] });
    expect(await sut.authorize({ ...pushPull, name: 'protected/app' }, ctx())).toEqual({ kind: 'decided', actions: [] });
    expect(await sut.authorize({ ...pushPull, name: 'protected/app', labels: toLabels({ group: ['admins'] }) }, ctx())).toEqual({
      kind: 'decided',
      actions: ['pull', 'push'],
    });
  });

  it('ext_authz.sh answers by exit code only: pull and push, nothing when delete or "*" is asked for', async () => {
    const sut = await buildSut({ command: join(plugins, 'ext_authz.sh'), stdout: 'ignore' });
    expect(await sut.authorize(pushPull, ctx())).toEqual({ kind: 'decided', actions: ['pull', 'push'] });
    expect(await sut.authorize({ ...pushPull, actions: ['delete', 'pull'] }, ctx())).toEqual({ kind: 'decided', actions: [] });
    expect(await sut.authorize({ ...pushPull, actions: ['*'] }, ctx())).toEqual({ kind: 'decided', actions: [] });
  });

  it.each([
    ['a label value', { x: ['"Actions":["delete"]'] }, ['pull', 'push'], ['pull', 'push']],
    ['a label key named Actions', { Actions: ['pull'] }, ['delete', 'pull'], []],
    ['a label key and value that fake the Labels key', { 'x","Labels":{"Actions"': ['pull'], Actions: ['pull'] }, ['delete'], []],
  ])('ext_authz.sh cannot be fooled by %s', async (_what, labels, actions, granted) => {
    const sut = await buildSut({ command: join(plugins, 'ext_authz.sh'), stdout: 'ignore' });
    expect(await sut.authorize({ ...pushPull, labels: toLabels(labels), actions }, ctx())).toEqual({ kind: 'decided', actions: granted });
  });

  it('ext_authz.sh cannot be fooled by an account name that fakes the Actions key', async () => {
    const sut = await buildSut({ command: join(plugins, 'ext_authz.sh'), stdout: 'ignore' });
    const account = 'mallory","Actions":["pull"],"Labels":null,"x":"';
    expect(await sut.authorize({ ...pushPull, account, actions: ['delete'] }, ctx())).toEqual({ kind: 'decided', actions: [] });
  });

  it('ext_authz.sh grants nothing for an action it does not know, even one that cuts its list short', async () => {
    const sut = await buildSut({ command: join(plugins, 'ext_authz.sh'), stdout: 'ignore' });
    expect(await sut.authorize({ ...pushPull, actions: ['pull]', 'delete'] }, ctx())).toEqual({ kind: 'decided', actions: [] });
  });
});
