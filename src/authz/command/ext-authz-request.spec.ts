import { toLabels } from '../../common/labels.js';
import type { ScopeRequest } from '../authorizer.js';
import { extAuthzInput } from './ext-authz-request.js';

const request: ScopeRequest = {
  account: 'alice',
  type: 'repository',
  name: 'team/app',
  service: 'registry',
  ip: '10.0.0.7',
  labels: toLabels({ group: ['dev'] }),
  actions: ['pull', 'push'],
};

describe(extAuthzInput.name, () => {
  it("uses docker_auth's field names and order", () => {
    expect(extAuthzInput(request)).toBe(
      '{"Account":"alice","Type":"repository","Name":"team/app","Service":"registry","IP":"10.0.0.7","Actions":["pull","push"],"Labels":{"group":["dev"]}}',
    );
  });

  it('writes null for an unknown client address and for a user without labels', () => {
    const json = JSON.parse(extAuthzInput({ ...request, ip: null, labels: toLabels({}) })) as Record<string, unknown>;
    expect(json.IP).toBeNull();
    expect(json.Labels).toBeNull();
  });
});
