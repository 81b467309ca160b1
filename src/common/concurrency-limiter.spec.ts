import { ConcurrencyLimiter, OverloadedError } from './concurrency-limiter.js';

/** A task that finishes when the test says so. */
const gate = (): { task: () => Promise<void>; open: () => void; started: boolean } => {
  let open!: () => void;
  const done = new Promise<void>((resolve) => (open = resolve));
  const g = {
    started: false,
    open: () => open(),
    task: async () => {
      g.started = true;
      await done;
    },
  };
  return g;
};
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe(ConcurrencyLimiter.name, () => {
  it('runs up to `concurrency` tasks at once and queues the next ones', async () => {
    const sut = new ConcurrencyLimiter({ concurrency: 2, queue: 5, name: 't' });
    const gates = [gate(), gate(), gate()];
    const runs = gates.map((g) => sut.run(g.task));
    await tick();
    expect(gates.map((g) => g.started)).toEqual([true, true, false]);
    expect([sut.running, sut.waiting]).toEqual([2, 1]);
    gates[0].open();
    await tick();
    await tick();
    expect(gates[2].started).toBe(true);
    gates.forEach((g) => g.open());
    await Promise.all(runs);
    expect([sut.running, sut.waiting]).toEqual([0, 0]);
  });

  it('rejects at once with OverloadedError when the queue is full', async () => {
    const sut = new ConcurrencyLimiter({ concurrency: 1, queue: 1, name: 'command x' });
    const busy = gate();
    const running = sut.run(busy.task);
    const queued = sut.run(async () => 'queued');
    await expect(sut.run(async () => 'shed')).rejects.toBeInstanceOf(OverloadedError);
    busy.open();
    await running;
    await expect(queued).resolves.toBe('queued');
  });

  it('drops a waiter whose request is aborted, without running it', async () => {
    const sut = new ConcurrencyLimiter({ concurrency: 1, queue: 1, name: 't' });
    const busy = gate();
    const running = sut.run(busy.task);
    const request = new AbortController();
    let ran = false;
    const waiting = sut.run(async () => void (ran = true), request.signal);
    request.abort(new Error('deadline'));
    await expect(waiting).rejects.toThrow('deadline');
    expect(sut.waiting).toBe(0);
    busy.open();
    await running;
    expect(ran).toBe(false);
    expect(sut.running).toBe(0);
  });

  it('keeps the slot until the release function is called', async () => {
    const sut = new ConcurrencyLimiter({ concurrency: 1, queue: 0, name: 't' });
    const release = await sut.acquire();
    await expect(sut.acquire()).rejects.toBeInstanceOf(OverloadedError);
    release();
    release(); // idempotent: a second call must not free a slot it does not hold
    const again = await sut.acquire();
    await expect(sut.acquire()).rejects.toBeInstanceOf(OverloadedError);
    again();
  });

  it('releases the slot when a task throws', async () => {
    const sut = new ConcurrencyLimiter({ concurrency: 1, queue: 0, name: 't' });
    await expect(sut.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(sut.run(async () => 'ok')).resolves.toBe('ok');
  });
});
