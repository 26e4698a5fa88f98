/**
 * Service configuration from flags, then `AUTHNOTIFY_*` environment variables, then an optional JSON
 * config file (`--config`), then defaults. Every problem names the setting and the fix.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ALIPAY_ENDPOINTS } from '../client/client.js';
import { readKeySource } from '../node/key-source.js';
import { AuthNotifyError } from '../protocol/errors.js';

export interface ServeSettings {
  host: string;
  port: number;
  database: string;
  clientId: string;
  /** keyVersion → key text. */
  alipayPublicKeys: Record<string, string>;
  notifyPath: string;
  adminToken: string | undefined;
  secretKey: string | undefined;
  merchantPrivateKey: string | undefined;
  merchantKeyVersion: string | undefined;
  acceptUnknownAuthState: boolean;
  /** Alipay API base (NORTH_AMERICA, ASIA, EUROPE or a URL): turns on the authorization flow. */
  alipayEndpoint: string | undefined;
  publicUrl: string | undefined;
  returnPath: string;
  customerBelongsTo: string;
  logFormat: 'json' | 'pretty';
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
}

export const SETTINGS: readonly { key: keyof ServeSettings; env: string; flag: string }[] = [
  { key: 'host', env: 'AUTHNOTIFY_HOST', flag: '--host' },
  { key: 'port', env: 'AUTHNOTIFY_PORT', flag: '--port' },
  { key: 'database', env: 'AUTHNOTIFY_DATABASE', flag: '--database' },
  { key: 'clientId', env: 'AUTHNOTIFY_CLIENT_ID', flag: '--client-id' },
  { key: 'alipayPublicKeys', env: 'AUTHNOTIFY_ALIPAY_PUBLIC_KEY', flag: '--alipay-public-key' },
  { key: 'notifyPath', env: 'AUTHNOTIFY_NOTIFY_PATH', flag: '--notify-path' },
  { key: 'adminToken', env: 'AUTHNOTIFY_ADMIN_TOKEN', flag: '--admin-token' },
  { key: 'secretKey', env: 'AUTHNOTIFY_SECRET_KEY', flag: '--secret-key' },
  { key: 'merchantPrivateKey', env: 'AUTHNOTIFY_MERCHANT_PRIVATE_KEY', flag: '--merchant-private-key' },
  { key: 'merchantKeyVersion', env: 'AUTHNOTIFY_MERCHANT_KEY_VERSION', flag: '--merchant-key-version' },
  {
    key: 'acceptUnknownAuthState',
    env: 'AUTHNOTIFY_ACCEPT_UNKNOWN_AUTH_STATE',
    flag: '--accept-unknown-auth-state',
  },
  { key: 'alipayEndpoint', env: 'AUTHNOTIFY_ALIPAY_ENDPOINT', flag: '--alipay-endpoint' },
  { key: 'publicUrl', env: 'AUTHNOTIFY_PUBLIC_URL', flag: '--public-url' },
  { key: 'returnPath', env: 'AUTHNOTIFY_RETURN_PATH', flag: '--return-path' },
  { key: 'customerBelongsTo', env: 'AUTHNOTIFY_CUSTOMER_BELONGS_TO', flag: '--customer-belongs-to' },
  { key: 'logFormat', env: 'AUTHNOTIFY_LOG_FORMAT', flag: '--log-format' },
  { key: 'logLevel', env: 'AUTHNOTIFY_LOG_LEVEL', flag: '--log-level' },
];

const ENDPOINT_NAMES: Record<string, string> = ALIPAY_ENDPOINTS;

const DEFAULTS = {
  host: '127.0.0.1',
  port: 8787,
  database: './authnotify.db',
  notifyPath: '/alipay/notify/authorization',
  logFormat: 'json',
  logLevel: 'info',
} as const;

function invalid(setting: string, message: string, hint?: string): AuthNotifyError {
  return new AuthNotifyError('CONFIG_INVALID', `${setting}: ${message}`, hint ? { hint } : {});
}

/** Parses `VERSION=KEY` entries (a bare KEY is version 1) into key text by version. */
export function parsePublicKeys(values: readonly string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const value of values) {
    const m = /^([0-9A-Za-z._-]{1,32})=([\s\S]+)$/.exec(value);
    const [version, source] =
      m && !value.startsWith('-----') ? [m[1] as string, m[2] as string] : ['1', value];
    if (keys[version] !== undefined)
      throw invalid('--alipay-public-key', `keyVersion ${version} is given twice`);
    keys[version] = readKeySource(source, env);
  }
  return keys;
}

/**
 * Resolves settings. `flags` holds only what was given on the command line.
 */
export function resolveServeSettings(
  flags: Partial<Record<keyof ServeSettings, unknown>> & { config?: string },
  env: NodeJS.ProcessEnv,
): ServeSettings {
  let file: Record<string, unknown> = {};
  const configPath = flags.config ?? env.AUTHNOTIFY_CONFIG;
  if (configPath) {
    if (!existsSync(configPath)) throw invalid('--config', `${configPath} does not exist`);
    try {
      file = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw invalid('--config', `${configPath} is not valid JSON (${(error as Error).message})`);
    }
  }
  const pick = (key: keyof ServeSettings): unknown => {
    const setting = SETTINGS.find((s) => s.key === key);
    if (flags[key] !== undefined) return flags[key];
    if (setting && env[setting.env] !== undefined && env[setting.env] !== '') return env[setting.env];
    return file[key];
  };
  const str = (key: keyof ServeSettings): string | undefined => {
    const v = pick(key);
    return v === undefined || v === null ? undefined : String(v);
  };

  const clientId = str('clientId');
  if (!clientId) {
    throw invalid(
      '--client-id',
      'is required',
      'Your Alipay client id (Antom Dashboard); sandbox ids start with SANDBOX_. Or set AUTHNOTIFY_CLIENT_ID.',
    );
  }
  const keySpec = pick('alipayPublicKeys');
  const keyValues = Array.isArray(keySpec)
    ? keySpec.map(String)
    : typeof keySpec === 'string'
      ? keySpec.split(/,(?=[0-9A-Za-z._-]{1,32}=)/)
      : keySpec && typeof keySpec === 'object'
        ? Object.entries(keySpec as Record<string, string>).map(([v, k]) => `${v}=${k}`)
        : [];
  if (keyValues.length === 0) {
    throw invalid(
      '--alipay-public-key',
      'is required',
      'The Alipay public key from the Antom Dashboard: text, a file path or env:VAR; repeat as VERSION=KEY for rotation.',
    );
  }
  const portText = str('port') ?? String(DEFAULTS.port);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw invalid('--port', `"${portText}" is not a port number`);
  const notifyPath = str('notifyPath') ?? DEFAULTS.notifyPath;
  if (!notifyPath.startsWith('/')) throw invalid('--notify-path', `"${notifyPath}" must start with /`);
  const logFormat = str('logFormat') ?? DEFAULTS.logFormat;
  if (logFormat !== 'json' && logFormat !== 'pretty')
    throw invalid('--log-format', `"${logFormat}" is not json or pretty`);
  const logLevel = str('logLevel') ?? DEFAULTS.logLevel;
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel))
    throw invalid('--log-level', `"${logLevel}" is not a level`);
  const accept = pick('acceptUnknownAuthState');
  const merchantKey = str('merchantPrivateKey');
  const endpointName = str('alipayEndpoint');
  const alipayEndpoint = endpointName
    ? (ENDPOINT_NAMES[endpointName.toUpperCase()] ?? endpointName)
    : undefined;
  if (alipayEndpoint) {
    try {
      new URL(alipayEndpoint);
    } catch {
      throw invalid('--alipay-endpoint', `"${endpointName}" is not NORTH_AMERICA, ASIA, EUROPE or a URL`);
    }
    if (!merchantKey)
      throw invalid(
        '--merchant-private-key',
        'is required with --alipay-endpoint',
        'The authorization flow signs its API calls with your merchant private key.',
      );
  }
  const publicUrl = str('publicUrl');
  if (publicUrl !== undefined && !/^https?:\/\//.test(publicUrl))
    throw invalid('--public-url', `"${publicUrl}" must be an http(s) URL`);
  const returnPath = str('returnPath') ?? '/alipay/authorize/return';
  if (!returnPath.startsWith('/') || returnPath === notifyPath)
    throw invalid('--return-path', `"${returnPath}" must start with / and differ from the notify path`);
  return {
    host: str('host') ?? DEFAULTS.host,
    port,
    database: str('database') ?? DEFAULTS.database,
    clientId,
    alipayPublicKeys: parsePublicKeys(keyValues, env),
    notifyPath,
    adminToken: str('adminToken'),
    secretKey: str('secretKey'),
    merchantPrivateKey: merchantKey ? readKeySource(merchantKey, env) : undefined,
    merchantKeyVersion: str('merchantKeyVersion'),
    acceptUnknownAuthState: accept === true || accept === 'true' || accept === '1',
    alipayEndpoint,
    publicUrl,
    returnPath,
    customerBelongsTo: str('customerBelongsTo') ?? 'ALIPAY_CN',
    logFormat,
    logLevel: logLevel as ServeSettings['logLevel'],
  };
}
