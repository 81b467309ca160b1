import { toLabels } from '../../common/labels.js';
import { pushPullRequest as request } from '../../authz/scope-request.fixture.js';
import { extAuthzInput } from './ext-authz-request.js';

describe(extAuthzInput.name, () => {
  it("uses docker_auth's field names and order", () => {
    expect(extAuthzInput(request)).toBe(
      '{"Account":"alice","Type":"repository","Name":"team/app","Service":"registry","IP":"10.0.0.7","Actions":["pull","push"],"Labels":{"group":["dev"]}}',
    );
  });

  it('writes "" for an unknown client address, as Go marshals a nil net.IP', () => {
    expect(JSON.parse(extAuthzInput({ ...request, ip: null }))).toMatchObject({ IP: '' });
  });

  it('writes null Labels for a user without labels', () => {
    expect(JSON.parse(extAuthzInput({ ...request, labels: toLabels({}) }))).toMatchObject({ Labels: null });
  });
});
