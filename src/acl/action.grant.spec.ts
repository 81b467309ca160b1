import { compileGrant, grantActions } from './action.grant.js';

const grant = (listed: string[], requested: string[], type = 'repository'): string[] => grantActions(compileGrant(listed), requested, type);

describe(grantActions.name, () => {
  describe('an entry with actions ["*"]', () => {
    it('grants the requested actions as requested', () => {
      expect(grant(['*'], ['push', 'pull'])).toEqual(['push', 'pull']);
    });

    it('grants * on a repository', () => {
      expect(grant(['*'], ['*'])).toEqual(['*']);
    });

    it('grants the catalog', () => {
      expect(grant(['*'], ['*'], 'registry')).toEqual(['*']);
    });

    it('grants nothing when nothing was requested', () => {
      expect(grant(['*'], [])).toEqual([]);
    });

    it('drops actions it does not know', () => {
      expect(grant(['*'], ['pull', 'own'])).toEqual(['pull']);
    });
  });

  describe('an entry with a list of actions', () => {
    it('grants the intersection, sorted', () => {
      expect(grant(['push', 'pull'], ['push', 'delete', 'pull'])).toEqual(['pull', 'push']);
    });

    it('ignores duplicates in the list', () => {
      expect(grant(['pull', 'pull'], ['pull'])).toEqual(['pull']);
    });

    it('grants nothing for [] (explicit deny)', () => {
      expect(grant([], ['pull'])).toEqual([]);
    });

    it('does not treat * in a longer list as a wildcard', () => {
      expect(grant(['pull', '*'], ['push', 'pull'])).toEqual(['pull']);
    });

    it('does not grant * from * in a longer list', () => {
      expect(grant(['pull', '*'], ['*'], 'registry')).toEqual([]);
    });
  });

  describe('a requested * on a repository', () => {
    it('becomes * when pull, push and delete are all granted', () => {
      expect(grant(['delete', 'push', 'pull'], ['*'])).toEqual(['*']);
    });

    it('becomes the concrete subset for a partial grant', () => {
      expect(grant(['pull', 'push'], ['*'])).toEqual(['pull', 'push']);
    });

    it('becomes nothing when the entry grants nothing', () => {
      expect(grant([], ['*'])).toEqual([]);
    });

    it('is merged with concrete requests without duplicates', () => {
      expect(grant(['pull'], ['*', 'pull'])).toEqual(['pull']);
    });
  });

  describe('a requested * on another type', () => {
    it('is not granted by pull (the catalog needs *)', () => {
      expect(grant(['pull'], ['*'], 'registry')).toEqual([]);
    });

    it('is not granted by all three concrete actions', () => {
      expect(grant(['pull', 'push', 'delete'], ['*'], 'registry')).toEqual([]);
    });
  });
});
