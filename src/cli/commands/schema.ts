import type { Command } from 'commander';
import { z } from 'zod';
import { NotificationSchema } from '../../protocol/notification.js';
import type { CliContext } from '../io.js';

/** The JSON Schema of the notifyAuthorization body, from the Zod schema the receiver validates with. */
export function notificationJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://authnotify.dev/schemas/notify-authorization.json',
    title: 'notifyAuthorization request body',
    description: 'All scalar values are JSON strings; unknown fields are allowed and kept.',
    ...(z.toJSONSchema(NotificationSchema, { target: 'draft-2020-12', unrepresentable: 'any' }) as Record<
      string,
      unknown
    >),
  };
}

export function registerSchema(program: Command, ctx: CliContext): void {
  program
    .command('schema')
    .description('print the JSON Schema of the notifyAuthorization body')
    .action(() => {
      ctx.io.stdout(`${JSON.stringify(notificationJsonSchema(), null, 2)}\n`);
    });
}
