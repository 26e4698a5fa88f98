// The HTTP floor: answers the ack without reading headers, verifying or storing anything.
import { createServer } from 'node:http';

const ack = Buffer.from('{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}');
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8', 'content-length': ack.length });
    res.end(ack);
  });
});
server.listen(0, '127.0.0.1', () =>
  console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })),
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
