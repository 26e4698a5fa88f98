// app/alipay/notify/authorization/route.ts in a Next.js App Router project.
import { nextRouteHandlers } from 'authnotify/adapters/nextjs';
import { makeReceiver } from './shared.js';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';
export const { POST } = nextRouteHandlers(makeReceiver());
