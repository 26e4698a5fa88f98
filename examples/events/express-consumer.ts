// Receive authnotify's forwarded events in an Express app with authnotify/events: verify the Standard
// Webhooks signature over the raw body and get a typed event in one call.
import { isAuthNotifyError } from 'authnotify';
import { verifyEvent } from 'authnotify/events';
import express from 'express';

const secret = process.env.AUTHNOTIFY_WEBHOOK_SECRET ?? ''; // whsec_… shown when the destination was made
const app = express();

// express.raw, not express.json: the signature covers the exact bytes.
app.post('/authnotify/events', express.raw({ type: 'application/json' }), async (req, res) => {
  try {
    const event = await verifyEvent({ body: req.body as Buffer, headers: req.headers, secret });
    switch (event.type) {
      case 'authorization.activated':
        console.log(`${event.type} ${event.data.id} ${event.data.status}`); // start charging
        break;
      case 'authorization.canceled':
      case 'authorization.revoked':
        console.log(`${event.type} ${event.data.id} ${event.data.status}`); // stop charging
        break;
      default:
        console.log(`${event.type} ${event.id}`);
    }
    // event.id (the webhook-id) is the same on every retry: record it to handle each event once.
    res.sendStatus(204);
  } catch (error) {
    if (isAuthNotifyError(error, 'EVENT_TYPE_UNKNOWN')) return void res.sendStatus(204); // from a newer authnotify
    res.status(400).send(isAuthNotifyError(error) ? error.code : 'bad request');
  }
});

app.listen(Number(process.env.PORT ?? 3001));
