/**
 * Service configuration from flags, then `AUTHNOTIFY_*` environment variables, then an optional JSON
 * config file (`--config`), then defaults. Every problem names the setting and the fix.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { ALIPAY_ENDPOINTS } from '../client/client.js';
import { AuthNotifyError } from '../protocol/errors.js';
import { importPrivateKey, importPublicKey } from '../protocol/keys.js';
import { readKeySource } from '../protocol/node-key-source.js';
import type { DatabaseSpec } from './database.js';
import { type ForwardSettings, resolveForwardSettings } from './forward-config.js';
import {
  ADMIN_TOKEN,
  readSecretFile,
  resolveSecretText,
  SECRET_KEY,
  type ServiceSecret,
} from './secret-file.js';

export interface ServeSettings {
  host: string;
  port: number;
  database: string;
  clientId: string;
  /** keyVersion → key text. */
  alipayPublicKeys: Record<string, string>;
  notifyPath: string;
  /** Configured admin token (checked) and where it was set; undefined: use the file beside the database. */
  adminToken: ConfiguredSecret | undefined;
  /** Configured secret key (checked) and where it was set; undefined: use the file beside the database. */
  secretKey: ConfiguredSecret | undefined;
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
  /** Reverse proxies whose forwarded headers are believed. */
  trustedProxies: string[];
  /** Forwarding destinations from the flags, and how long events are kept. */
  forwarding: ForwardSettings;
}

/** A secret's value as configured and where it came from (a flag, a variable, a file, the config file). */
export interface ConfiguredSecret {
  value: string;
  from: string;
}

/** Settings that are not kept in ServeSettings as such: they name where a secret is read from. */
type FileSettingKey = 'adminTokenFile' | 'secretKeyFile';
/** Forwarding settings, resolved into ServeSettings.forwarding. */
type ForwardSettingKey = 'forwardTo' | 'forwardSecret' | 'forwardTypes' | 'eventRetention';

export const SETTINGS: readonly {
  key: keyof ServeSettings | FileSettingKey | ForwardSettingKey;
  env: string;
  flag: string;
}[] = [
  { key: 'host', env: 'AUTHNOTIFY_HOST', flag: '--host' },
  { key: 'port', env: 'AUTHNOTIFY_PORT', flag: '--port' },
  { key: 'database', env: 'AUTHNOTIFY_DATABASE', flag: '--database' },
  { key: 'clientId', env: 'AUTHNOTIFY_CLIENT_ID', flag: '--client-id' },
  { key: 'alipayPublicKeys', env: 'AUTHNOTIFY_ALIPAY_PUBLIC_KEY', flag: '--alipay-public-key' },
  { key: 'notifyPath', env: 'AUTHNOTIFY_NOTIFY_PATH', flag: '--notify-path' },
  { key: 'adminToken', env: 'AUTHNOTIFY_ADMIN_TOKEN', flag: '--admin-token' },
  { key: 'secretKey', env: 'AUTHNOTIFY_SECRET_KEY', flag: '--secret-key' },
  { key: 'adminTokenFile', env: 'AUTHNOTIFY_ADMIN_TOKEN_FILE', flag: '--admin-token-file' },
  { key: 'secretKeyFile', env: 'AUTHNOTIFY_SECRET_KEY_FILE', flag: '--secret-key-file' },
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
  { key: 'trustedProxies', env: 'AUTHNOTIFY_TRUSTED_PROXIES', flag: '--trusted-proxy' },
  { key: 'forwardTo', env: 'AUTHNOTIFY_FORWARD_TO', flag: '--forward-to' },
  { key: 'forwardSecret', env: 'AUTHNOTIFY_FORWARD_SECRET', flag: '--forward-secret' },
  { key: 'forwardTypes', env: 'AUTHNOTIFY_FORWARD_TYPES', flag: '--forward-types' },
  { key: 'eventRetention', env: 'AUTHNOTIFY_EVENT_RETENTION', flag: '--event-retention' },
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
  flags: Partial<Record<keyof ServeSettings | FileSettingKey | ForwardSettingKey, unknown>> & {
    config?: string;
  },
  env: NodeJS.ProcessEnv,
  warn: (message: string) => void = () => undefined,
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
  /** The value of a setting and where it was given: the flag, then the variable, then the config file. */
  const locate = (
    key: keyof ServeSettings | FileSettingKey | ForwardSettingKey,
  ): { value: unknown; from: string } | undefined => {
    const setting = SETTINGS.find((s) => s.key === key);
    if (flags[key] !== undefined) return { value: flags[key], from: setting?.flag ?? key };
    if (setting && env[setting.env] !== undefined && env[setting.env] !== '')
      return { value: env[setting.env], from: setting.env };
    if (file[key] !== undefined) return { value: file[key], from: `"${key}" in ${configPath}` };
    return undefined;
  };
  const pick = (key: keyof ServeSettings): unknown => locate(key)?.value;
  const str = (key: keyof ServeSettings): string | undefined => {
    const v = pick(key);
    return v === undefined || v === null ? undefined : String(v);
  };
  /**
   * A secret given as a value (text, env:NAME or file:PATH) or as a file, checked. Both at one level is
   * ambiguous; the higher level wins otherwise.
   */
  const secret = (
    key: 'adminToken' | 'secretKey',
    fileKey: FileSettingKey,
    what: ServiceSecret,
  ): ConfiguredSecret | undefined => {
    const direct = locate(key);
    const viaFile = locate(fileKey);
    const rank = (at: { from: string } | undefined) =>
      at === undefined ? 3 : at.from.startsWith('--') ? 0 : at.from.startsWith('AUTHNOTIFY_') ? 1 : 2;
    if (direct && viaFile && rank(direct) === rank(viaFile))
      throw invalid(direct.from, `is given together with ${viaFile.from}`, 'Give the secret one way only.');
    const chosen = rank(direct) <= rank(viaFile) ? direct : viaFile;
    if (!chosen) return undefined;
    const text = String(chosen.value ?? '');
    const value =
      chosen === viaFile
        ? readSecretFile(text, chosen.from, warn)
        : resolveSecretText(text, env, chosen.from, warn);
    return { value: what.check(value, chosen.from), from: chosen.from };
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
  const proxies = pick('trustedProxies');
  const trustedProxies = (
    Array.isArray(proxies) ? proxies.map(String) : typeof proxies === 'string' ? proxies.split(',') : []
  )
    .map((p) => p.trim())
    .filter(Boolean);
  for (const proxy of trustedProxies)
    if (isIP(proxy) === 0)
      throw invalid(
        '--trusted-proxy',
        `"${proxy}" is not an IP address`,
        'Give the address your reverse proxy connects from, e.g. 127.0.0.1 or 10.0.0.5; repeat for several.',
      );
  const forwarding = resolveForwardSettings(
    {
      forwardTo: locate('forwardTo'),
      forwardSecret: locate('forwardSecret'),
      forwardTypes: locate('forwardTypes'),
      eventRetention: locate('eventRetention'),
    },
    env,
    warn,
  );
  return {
    trustedProxies,
    forwarding,
    host: str('host') ?? DEFAULTS.host,
    port,
    database: str('database') ?? DEFAULTS.database,
    clientId,
    alipayPublicKeys: parsePublicKeys(keyValues, env),
    notifyPath,
    adminToken: secret('adminToken', 'adminTokenFile', ADMIN_TOKEN),
    secretKey: secret('secretKey', 'secretKeyFile', SECRET_KEY),
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

/**
 * Checks what `resolveServeSettings` cannot without importing: every key parses as the kind it must be,
 * and a SQLite database's directory exists. Opens and writes nothing, so a bad setting fails before a
 * store, a thread or a secret file exists (issue 11).
 * @example await checkServeSettings(settings, parseDatabase(settings.database));
 */
export async function checkServeSettings(settings: ServeSettings, spec: DatabaseSpec): Promise<void> {
  await checkPublicKeys('--alipay-public-key', settings.alipayPublicKeys);
  if (settings.merchantPrivateKey !== undefined) {
    await importPrivateKey(settings.merchantPrivateKey).catch((error: unknown) => {
      throw keySettingError('--merchant-private-key', 'the key', error);
    });
  }
  if (spec.kind === 'sqlite' && spec.path !== ':memory:') {
    const dir = dirname(resolve(spec.path));
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir)
      throw invalid(
        '--database',
        `the directory ${dir} does not exist`,
        `Create it (mkdir -p ${dir}) or give a database path in an existing directory.`,
      );
  }
}

/**
 * Imports each public key of a `VERSION=KEY` setting; a bad one is CONFIG_INVALID naming the flag and the
 * version (a private key, garbage, an empty file).
 * @example await checkPublicKeys('--merchant-public-key', parsePublicKeys(values, env));
 */
export async function checkPublicKeys(flag: string, keys: Readonly<Record<string, string>>): Promise<void> {
  for (const [version, text] of Object.entries(keys)) {
    await importPublicKey(text).catch((error: unknown) => {
      throw keySettingError(flag, `keyVersion ${version}`, error);
    });
  }
}

function keySettingError(setting: string, which: string, error: unknown): AuthNotifyError {
  const e = error instanceof AuthNotifyError ? error : undefined;
  return new AuthNotifyError('CONFIG_INVALID', `${setting}: ${which}: ${e?.message ?? String(error)}`, {
    hint: e?.hint ?? 'Give a PEM file, PEM text, one-line base64 DER or env:VARIABLE.',
  });
}
