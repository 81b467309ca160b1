import { toLabels } from '../common/labels.js';
import { authorize } from './acl.authorizer.js';
import type { AclRequest } from './acl.types.js';
import type { CompiledAcl } from './compiled-acl.js';

/** alice asks registry.local for pull on alice/app, from no known address and without labels; `over` changes any of it. */
export const request = (over: Partial<AclRequest> = {}): AclRequest => ({
  account: 'alice',
  type: 'repository',
  name: 'alice/app',
  service: 'registry.local',
  ip: null,
  labels: toLabels({}),
  actions: ['pull'],
  ...over,
});

/** Whether some entry of `sut` decides the request. */
export const matches = (sut: CompiledAcl, over: Partial<AclRequest> = {}): boolean => authorize(sut, request(over)).kind === 'decided';
