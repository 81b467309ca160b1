import { beforeDeadline } from './deadline.js';

describe(beforeDeadline.name, () => {
  it('settles with the work when it finishes first', async () => {
    await expect(beforeDeadline(Promise.resolve('done'), new AbortController().signal)).resolves.toBe('done');
  });

  it("passes the work's own failure through", async () => {
    await expect(beforeDeadline(Promise.reject(new Error('broken')), new AbortController().signal)).rejects.toThrow('broken');
  });

  it('rejects at the deadline while the work is still running', async () => {
    const never = new Promise<string>(() => undefined);
    await expect(beforeDeadline(never, AbortSignal.timeout(20))).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('rejects at once when the deadline has already passed', async () => {
    const controller = new AbortController();
    controller.abort(new Error('late'));
    await expect(beforeDeadline(Promise.resolve('done'), controller.signal)).rejects.toThrow('late');
  });
});
