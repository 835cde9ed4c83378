import { startHarness } from '../support/harness.js';
import { OwnRedis } from '../support/ownRedis.js';
it('closes after a Redis outage', async () => {
  const redis = await new OwnRedis().start();
  const h = await startHarness({ redisUrl: redis.url });
  await redis.stop();
  await new Promise((r) => setTimeout(r, 3000));
  await redis.start();
  await new Promise((r) => setTimeout(r, 200));
  const t = Date.now();
  await h.close();
  console.log('closed in', Date.now() - t);
  await redis.destroy();
}, 40_000);
