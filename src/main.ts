import { existsSync } from 'node:fs';
import { startBot } from './bot.js';
import { ConfigError, loadConfig } from './config/load.js';

/** Composition root: read config, start, stop cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  let bot;
  try {
    // startBot also refuses a data key that cannot read this Redis: a config error too.
    bot = await startBot(loadConfig(process.env));
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    // BullMQ's worker.close() has no timeout of its own: never hang a deploy forever.
    const timer = setTimeout(() => {
      console.error(`vulnbot: graceful stop after ${signal} took too long; exiting`);
      process.exit(1);
    }, 30_000);
    timer.unref();
    bot.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('vulnbot: error while stopping:', (error as Error).message);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('vulnbot failed to start:', (error as Error).message);
  process.exit(1);
});
