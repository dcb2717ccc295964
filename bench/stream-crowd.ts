import { request } from 'node:http';

// The crowd of `npm run bench:stream`, in a process of its own: opens the streams given on the
// command line (`<count> <url> [<url>…]`: count streams spread over the URLs), reads whatever
// comes without parsing it, says "open" on stdout once every stream sent its first bytes, and
// runs until it is killed. The bench's own process keeps one probe stream, whose timings are
// then not slowed by reading a thousand sockets.

const [countText, ...urls] = process.argv.slice(2);
const count = Number(countText);
let opened = 0;

function open(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream' } }, (response) => {
      if (response.statusCode !== 200) return reject(new Error(`stream: ${response.statusCode}`));
      response.once('data', () => resolve());
      response.resume();
    });
    req.on('error', reject);
    req.end();
  });
}

for (let i = 0; i < count; i += 50) {
  await Promise.all(
    Array.from({ length: Math.min(50, count - i) }, (_, j) => open(urls[(i + j) % urls.length]!).then(() => opened++)),
  );
}
process.stdout.write(`open ${opened}\n`);
setInterval(() => undefined, 60_000);
