import { parseActionsAnswer } from './actions-answer.js';

describe(parseActionsAnswer.name, () => {
  it('reads the action list of {"actions": [...]}', () => {
    expect(parseActionsAnswer({ actions: ['pull', 'push'] })).toEqual(['pull', 'push']);
  });

  it('accepts an empty list (a decision to grant nothing)', () => {
    expect(parseActionsAnswer({ actions: [] })).toEqual([]);
  });

  it.each([
    ['null', null],
    ['a list', ['pull']],
    ['an object without actions', { result: 'allow' }],
    ['actions that are not a list', { actions: 'pull' }],
    ['actions that are not strings', { actions: ['pull', 1] }],
    ['an absurdly long list', { actions: Array.from({ length: 65 }, () => 'pull') }],
  ])('rejects %s', (_what, value) => {
    expect(parseActionsAnswer(value)).toBeUndefined();
  });
});
