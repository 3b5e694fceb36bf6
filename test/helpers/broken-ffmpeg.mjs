#!/usr/bin/env node
// A broken ffmpeg for the ffmpeg video backend's failure tests (test/ffmpeg-encoder.test.ts),
// as test/helpers/breaking-webcodecs.mjs is for the package: it answers `-encoders` as ffmpeg
// does, then fails the way its name says (a link to it named broken-ffmpeg-<mode>):
//   no-x264: lists encoders without libx264
//   garbage: reads frames and writes bytes that are not FLV
//   exit:    reads the first frame, says why on stderr and exits 1
import { basename } from 'node:path';

const mode = basename(process.argv[1] ?? '').replace(/^broken-ffmpeg-?/, '').replace(/\.mjs$/, '') || 'garbage';
if (process.argv.includes('-encoders')) {
  console.log(' V....D libx265              libx265 H.265 / HEVC (codec hevc)');
  if (mode !== 'no-x264') console.log(' V....D libx264              libx264 H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10 (codec h264)');
  process.exit(0);
}
process.stdin.once('data', () => {
  if (mode === 'exit') {
    process.stderr.write('[libx264 @ 0x1] broken on purpose\n');
    process.exit(1);
  }
  process.stdout.write('this is not an FLV stream\n');
});
process.stdin.resume();
