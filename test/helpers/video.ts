// Video checks shared by the encoder tests: decoding H.264 chunks with the package's own decoder,
// the PSNR of a decoded picture against what went in, and a moving picture to encode.

/** A moving shaded disc over a textured background, RGBA. */
export function scene(width: number, height: number, t: number): Uint8Array {
  const d = new Uint8Array(width * height * 4);
  const cx = width / 2 + Math.cos(t / 5) * width / 4;
  const cy = height / 2 + Math.sin(t / 5) * height / 4;
  const r = height / 5;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const tex = 0.5 + 0.5 * Math.sin((x + t * 4) / 9) * Math.sin(y / 7);
      const d2 = ((x - cx) ** 2 + (y - cy) ** 2) / (r * r);
      const s = d2 < 1 ? Math.sqrt(1 - d2) : 0;
      d[i] = d2 < 1 ? 220 * s : 40 + 60 * y / height + 40 * tex;
      d[i + 1] = d2 < 1 ? 120 * s : 50 + 30 * x / width;
      d[i + 2] = d2 < 1 ? 60 * s : 90 + 50 * tex;
      d[i + 3] = 255;
    }
  }
  return d;
}

/** PSNR (dB) over the R, G and B bytes of two RGBA pictures of one size; 99 when equal. */
export function rgbPsnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0;
  let n = 0;
  for (let i = 0; i < a.length; i += 4) for (let c = 0; c < 3; c++) { se += (a[i + c]! - b[i + c]!) ** 2; n++; }
  return se === 0 ? 99 : 10 * Math.log10(255 * 255 / (se / n));
}

interface Decoded { copyTo(dst: Uint8Array, o: { format: 'RGBA' }): Promise<unknown>; close(): void; codedWidth: number; codedHeight: number }
/** Decodes H.264 chunks (Annex B, a keyframe first) with the package's own VideoDecoder (FFmpeg), to RGBA. */
export async function decodeH264(chunks: { data: Uint8Array; key: boolean }[], width: number, height: number): Promise<Uint8Array[]> {
  const mod = await import('@napi-rs/webcodecs' as string) as {
    VideoDecoder: new (i: { output: (f: Decoded) => void; error: (e: Error) => void }) => { configure(c: object): void; decode(c: unknown): void; flush(): Promise<void>; close(): void };
    EncodedVideoChunk: new (i: { type: string; timestamp: number; data: Uint8Array }) => unknown;
  };
  const frames: Decoded[] = [];
  let failure: Error | undefined;
  const decoder = new mod.VideoDecoder({ output: (f) => frames.push(f), error: (e) => { failure = e; } });
  decoder.configure({ codec: 'avc1.42001f', codedWidth: width, codedHeight: height });
  chunks.forEach((c, i) => decoder.decode(new mod.EncodedVideoChunk({ type: c.key ? 'key' : 'delta', timestamp: i, data: c.data })));
  await decoder.flush();
  decoder.close();
  if (failure) throw failure;
  const out: Uint8Array[] = [];
  for (const f of frames) {
    const rgba = new Uint8Array(f.codedWidth * f.codedHeight * 4);
    await f.copyTo(rgba, { format: 'RGBA' });
    f.close();
    out.push(rgba);
  }
  return out;
}
