import { parseTemplate, withStandIns, type Template } from './template.parser.js';

const template = (raw: string): Template => {
  const result = parseTemplate(raw);
  if (!result.ok) throw new Error(result.messages.join('; '));
  return result.template;
};

describe(parseTemplate.name, () => {
  it('reads text without placeholders as one static segment', () => {
    expect(template('team/*')).toEqual({ segments: [{ kind: 'text', text: 'team/*' }], dynamic: false, labelKeys: [], captures: [] });
  });

  it('reads value placeholders between text', () => {
    expect(template('${account}/${service}-x').segments).toEqual([
      { kind: 'field', field: 'account' },
      { kind: 'text', text: '/' },
      { kind: 'field', field: 'service' },
      { kind: 'text', text: '-x' },
    ]);
  });

  it('reads capture placeholders with their group number', () => {
    expect(template('${name:2}').captures).toEqual([{ kind: 'capture', field: 'name', group: 2, token: '${name:2}' }]);
  });

  it('lists each label key once, in order of first use', () => {
    expect(template('${labels:b}/${labels:a}/${labels:b}').labelKeys).toEqual(['b', 'a']);
  });

  it('accepts label names with punctuation', () => {
    expect(template('${labels:full-access.v2}').labelKeys).toEqual(['full-access.v2']);
  });

  it('leaves a $ that does not start a placeholder as text', () => {
    expect(template('a$b${c').dynamic).toBe(false);
  });

  it('allows a placeholder after an escaped backslash', () => {
    expect(template('\\\\${account}').dynamic).toBe(true);
  });

  it.each([
    ['${acount}', 'unknown placeholder ${acount}'],
    ['${email}', 'unknown placeholder ${email}'],
    ['${team}', 'unknown placeholder ${team}'],
    ['${}', 'unknown placeholder ${}'],
    ['${labels:}', 'placeholder ${labels:} needs a label name'],
    ['${account:0}', 'placeholder ${account:0}: capture groups are numbered from 1'],
    ['${account:x}', 'unknown placeholder ${account:x}'],
    ['${labels}', 'unknown placeholder ${labels}'],
    ['\\${account}', 'placeholder ${account} must not follow a backslash'],
  ])('rejects %j', (raw, message) => {
    const result = parseTemplate(raw);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.messages[0]).toContain(message);
  });

  it('reports every bad placeholder of a pattern', () => {
    expect(parseTemplate('${a}/${b}')).toMatchObject({ ok: false, messages: [expect.any(String), expect.any(String)] });
  });
});

describe(withStandIns.name, () => {
  it('replaces every placeholder with the stand-in', () => {
    expect(withStandIns(template('^${account}/${labels:x}/${name:1}$'), 'x')).toBe('^x/x/x$');
  });
});
