import { PassThrough, Writable } from 'node:stream';
import { flushWithin, MAX_BUFFERED_LOG_BYTES, stdoutLogOutput } from './log-output.js';

type Out = Parameters<typeof stdoutLogOutput>[0];

describe(stdoutLogOutput.name, () => {
  it('passes lines through to a stream that keeps up', async () => {
    const out = new PassThrough();
    const sut = stdoutLogOutput(out as unknown as Out);
    sut.write('one\n');
    sut.write('two\n');
    await new Promise((r) => setImmediate(r));
    expect(String(out.read())).toBe('one\ntwo\n');
    expect(sut.dropped()).toBe(0);
  });

  it('sends the lines of one turn of the event loop in one write', async () => {
    const chunks: string[] = [];
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk.toString());
        done();
      },
    });
    const sut = stdoutLogOutput(out as unknown as Out);
    for (const line of ['a\n', 'b\n', 'c\n']) sut.write(line);
    await new Promise((r) => setImmediate(r));
    expect(chunks).toEqual(['a\nb\nc\n']);
  });

  it('keeps each write within maxWrite, cut at line ends, so workers sharing a pipe never interleave lines', async () => {
    const chunks: string[] = [];
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk.toString());
        done();
      },
    });
    const sut = stdoutLogOutput(out as unknown as Out, { maxWrite: 10 });
    for (const line of ['aaaa\n', 'bbbb\n', 'cccc\n', 'a line longer than ten\n', 'd\n']) sut.write(line);
    await new Promise((r) => setImmediate(r));
    expect(chunks).toEqual(['aaaa\nbbbb\n', 'cccc\n', 'a line longer than ten\n', 'd\n']);
  });

  it('drops and counts lines once the unread buffer passes the bound, never blocking the caller', () => {
    const out = new PassThrough({ highWaterMark: 1024 }); // nobody reads it
    const sut = stdoutLogOutput(out as unknown as Out);
    const line = `${'x'.repeat(1023)}\n`;
    const fits = MAX_BUFFERED_LOG_BYTES / line.length;
    for (let i = 0; i < fits + 10; i++) expect(sut.write(line)).toBe(true);
    expect(sut.dropped()).toBe(9);
    expect(out.writableLength).toBeLessThanOrEqual(MAX_BUFFERED_LOG_BYTES + line.length);
  });

  it('turns the log off after a write error (full disk, closed pipe) instead of throwing', async () => {
    const out = new Writable({ write: (_chunk, _enc, cb) => cb(Object.assign(new Error('no space'), { code: 'ENOSPC' })) });
    const sut = stdoutLogOutput(out as unknown as Out);
    sut.write('first\n');
    await new Promise((r) => setImmediate(r));
    expect(() => sut.write('second\n')).not.toThrow();
    expect(sut.dropped()).toBe(1);
  });

  it('flushes as soon as the buffer drains', async () => {
    const out = new PassThrough({ highWaterMark: 4 });
    const sut = stdoutLogOutput(out as unknown as Out);
    sut.write('a long line\n');
    const flushed = flushWithin((cb) => sut.flush(cb), 5000);
    out.resume();
    const started = Date.now();
    await flushed;
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe(flushWithin.name, () => {
  it('gives up after its bound when the flush never completes', async () => {
    const started = Date.now();
    await flushWithin(() => undefined, 100);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });
});
