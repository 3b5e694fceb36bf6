import { expect, test } from 'vitest';
import { getDefaultDevice } from '../src/index.js';

test('default device is shared', async () => {
  const a = await getDefaultDevice();
  expect(await getDefaultDevice()).toBe(a);
});
