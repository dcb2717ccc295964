import express from 'express';

// The baseline: the same Express 5 and JSON body parsing as the service, doing no work.
// It answers what a hold answers in size, so the two differ only in what the service does.

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.use(express.json({ limit: 16 * 1024 }));
let counter = 0;
app.post('/echo', (req, res) => {
  counter += 1;
  res.status(201).json({ ...req.body, id: counter, echoed_at: new Date().toISOString() });
});
app.get('/echo', (_req, res) => {
  res.json({ id: counter, echoed_at: new Date().toISOString() });
});
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ msg: 'echo listening', port: typeof address === 'object' ? address?.port : 0 }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
