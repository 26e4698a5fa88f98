import { silentLogger } from '../../src/protocol/logger.js';
import { type RunningService, type ServiceOptions, startService } from '../../src/service/server.js';
import { fixtureText } from './fixtures.js';
import { CLIENT_ID, SECRET } from './receiver.js';

/**
 * The service on a free port on 127.0.0.1 for CLIENT_ID, trusting the v1 fixture Alipay key, quiet, with
 * the inbox processor off (tests drive it). `options` override any of that; the store and admin token are
 * the test's own.
 */
export function startTestService(
  options: Partial<ServiceOptions> & Pick<ServiceOptions, 'store' | 'adminToken'>,
): Promise<RunningService> {
  return startService({
    host: '127.0.0.1',
    port: 0,
    clientId: CLIENT_ID,
    alipayPublicKeys: { '1': fixtureText('keys/alipay-v1.public.pem') },
    secretKey: SECRET,
    notifyPath: '/alipay/notify/authorization',
    logger: silentLogger,
    process: false,
    ...options,
  });
}
