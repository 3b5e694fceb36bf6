// Comparing what a browser shows: element screenshots as RGBA pixels, and their difference
// counted by pixelmatch (perceptual threshold, anti-aliased edges not counted).
import pixelmatch from 'pixelmatch';
import type { Locator } from 'playwright-core';
import sharp from 'sharp';
import { expect } from 'vitest';

/** RGBA pixels of an image. */
export interface Pixels {
  data: Buffer;
  width: number;
  height: number;
}

/** The element as the browser shows it, as RGBA pixels. */
export async function screenshotPixels(locator: Locator): Promise<Pixels> {
  const { data, info } = await sharp(await locator.screenshot()).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Pixels that differ between two images of the same size (pixelmatch, threshold 0.1). */
export function differingPixels(a: Pixels, b: Pixels): number {
  expect([b.width, b.height], 'both images have the same size').toEqual([a.width, a.height]);
  return pixelmatch(a.data, b.data, undefined, a.width, a.height, { threshold: 0.1 });
}
