// `npm run start:local-cluster`: `npm start` with one worker per core (WEB_CONCURRENCY=auto),
// or INSTANCES of them, sharing one port through Node's cluster module (see src/cluster/);
// its own redis-server keeps its files under ./.data/local-cluster unless DATA_DIR,
// REDIS_URL or REDIS_CLUSTER_NODES says otherwise. Every other setting is `npm start`'s.

process.env.WEB_CONCURRENCY ||= process.env.INSTANCES || 'auto';
process.env.DATA_DIR ||= '.data/local-cluster';
await import('../src/main.js');
