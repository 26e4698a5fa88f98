/**
 * `npm run bench`: every benchmark, each compared in the same process tree with its baseline, printed as
 * ratios. Pass names to run a subset: `npm run bench -- verify`.
 */
import { benchForward } from './forward.js';
import { benchReceiver } from './receiver.js';
import { benchScaleOut } from './scale-out.js';
import { benchSender } from './sender.js';
import { benchVerify } from './verify.js';

const suites: Record<string, () => Promise<unknown>> = {
  verify: () => benchVerify(),
  receiver: () => benchReceiver(),
  sender: () => benchSender(),
  forward: () => benchForward(),
  'scale-out': () => benchScaleOut(),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !(w in suites));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${Object.keys(suites).join(', ')}`);
  process.exit(2);
}
console.log(`# authnotify bench — node ${process.version}, ${new Date().toISOString()}`);
for (const name of wanted.length > 0 ? wanted : Object.keys(suites)) {
  await (suites[name] as () => Promise<unknown>)();
}
