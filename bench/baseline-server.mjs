// B1: a bare Fastify server answering a fixed 800-byte JSON, the ceiling for an HTTP token server
// on this machine and Node version. Prints its port on stdout.
import Fastify from 'fastify';

const body = JSON.stringify({ token: 'x'.repeat(760), expires_in: 300 });
const app = Fastify({ logger: false });
app.get('/auth', async (_req, reply) => reply.type('application/json').send(body));
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${app.server.address().port}\n`);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
