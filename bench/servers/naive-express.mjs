// What a merchant typically hand-writes: Express with a raw body, the public key as a PEM string passed
// to createVerify on every request, and one autocommitted SQLite insert per request (WAL, synchronous=FULL,
// the same durability authnotify gives).
import { createVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import express from 'express';

const [dbPath, keyPath, clientId] = process.argv.slice(2);
const pem = readFileSync(keyPath, 'utf8');
const db = new Database(dbPath);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(
  'CREATE TABLE IF NOT EXISTS notifications (id INTEGER PRIMARY KEY, event_key TEXT UNIQUE, body TEXT, received_at INTEGER)',
);
const insert = db.prepare(
  'INSERT OR IGNORE INTO notifications (event_key, body, received_at) VALUES (?, ?, ?)',
);
const app = express();
app.post('/alipay/notify/authorization', express.raw({ type: 'application/json' }), (req, res) => {
  const signature = /signature=([^,]+)/.exec(req.get('signature') ?? '')?.[1];
  const content = `POST ${req.originalUrl}\n${req.get('client-id')}.${req.get('request-time')}.${req.body.toString('utf8')}`;
  const ok =
    signature &&
    req.get('client-id') === clientId &&
    createVerify('RSA-SHA256').update(content).verify(pem, decodeURIComponent(signature), 'base64');
  if (!ok) return res.status(401).json({ result: { resultCode: 'INVALID_SIGNATURE', resultStatus: 'F' } });
  const n = JSON.parse(req.body.toString('utf8'));
  insert.run(
    `${n.authorizationNotifyType}:${n.accessToken ?? n.authCode}`,
    req.body.toString('utf8'),
    Date.now(),
  );
  res.json({ result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' } });
});
const server = app.listen(0, '127.0.0.1', () =>
  console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })),
);
process.on('SIGTERM', () =>
  server.close(() => {
    db.close();
    process.exit(0);
  }),
);
