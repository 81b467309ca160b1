import { toLabels } from '../common/labels.js';
import type { ScopeRequest } from './authorizer.js';

/** alice, labelled group=dev, asks from 10.0.0.7 for pull and push on team/app. */
export const pushPullRequest: ScopeRequest = {
  account: 'alice',
  type: 'repository',
  name: 'team/app',
  service: 'registry',
  ip: '10.0.0.7',
  labels: toLabels({ group: ['dev'] }),
  actions: ['pull', 'push'],
};
