import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './log.js';
import { startService } from './service.js';
import { RedisServerMissing } from './store/embedded-redis.js';
import { EvictionPolicyRefused } from './store/eviction-policy.js';

const SHUTDOWN_GRACE_MS = 10_000;

/** Start-up only: config → logger → service → signals. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  const logger = createLogger(config.LOG_LEVEL);
  try {
    const service = await startService(config, logger);
    const stop = async (signal: string) => {
      logger.info({ signal }, 'stopping: draining requests');
      // In-flight requests get SHUTDOWN_GRACE_MS to finish; past that, stop anyway.
      const deadline = new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref());
      await Promise.race([service.close(), deadline]);
      logger.info('stopped');
      process.exit(0);
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
  } catch (error) {
    // Errors that say what to do are one line for the operator, not a stack trace.
    if (error instanceof RedisServerMissing || error instanceof EvictionPolicyRefused) {
      console.error(error.message);
      process.exit(1);
    }
    logger.fatal({ err: error }, 'start-up failed');
    process.exit(1);
  }
}

void main();
