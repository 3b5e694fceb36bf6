// `dawn-rfb test-notebooks`: executes notebooks with the dawn-rfb kernel (no Jupyter) and checks
// their canvases against baselines. Exit codes: 0 all passed, 1 something failed, 2 usage error.
import { InvalidArgumentError as CliArgumentError, type Command } from 'commander';
import { DawnRfbError, InvalidArgumentError } from '../errors.js';
import { testNotebooks } from '../testing/notebook/index.js';
import { parseUpdateMode, SNAPSHOT_UPDATE_MODES } from '../testing/update-mode.js';

/** Exit code when an image or cell failed. */
export const EXIT_FAILED = 1;
/** Exit code for usage errors (bad options, missing paths, files that are not notebooks). */
export const EXIT_USAGE = 2;

function parseMode(value: string): string {
  try {
    return parseUpdateMode(value, '--update mode');
  } catch (e) {
    throw new CliArgumentError((e as Error).message);
  }
}

function parseSeconds(value: string): number {
  const s = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || s <= 0) throw new CliArgumentError(`expected seconds > 0, e.g. 120; got "${value}"`);
  return s;
}

function parseJobs(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new CliArgumentError(`expected a whole number >= 1, got "${value}"`);
  return n;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Adds the `test-notebooks` command to the program. */
export function registerTestNotebooks(program: Command): void {
  program.command('test-notebooks')
    .description('run notebooks with the dawn-rfb kernel (no Jupyter needed) and compare their canvases with baselines; exit 0 passed, 1 failed, 2 usage error')
    .argument('<paths...>', 'notebooks (.ipynb) or folders of notebooks')
    .option('--update <mode>', `baseline update mode: ${SNAPSHOT_UPDATE_MODES.join(', ')} (default: env DAWN_RFB_UPDATE_SNAPSHOTS, else none under CI=true, else missing)`, parseMode)
    .option('--report <dir>', 'folder for the HTML report, summary.json and images', 'test-results/notebooks')
    .option('--timeout <s>', 'seconds per cell', parseSeconds, 120)
    .option('--jobs <n>', 'notebooks run at once, each with its own kernel', parseJobs, 1)
    .option('--text', 'also compare text outputs (stdout, results) with text.json baselines, after sanitizing')
    .option('--sanitize <regex>', 'extra sanitizer for --text (repeatable): matches become <sanitized>', collect, [] as string[])
    .option('--adapter-class <name>', 'baseline folder name (default: env DAWN_RFB_ADAPTER_CLASS, else from the adapter)')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE))
    .action(async (paths: string[], opts: { update?: string; report: string; timeout: number; jobs: number; text?: boolean; sanitize: string[]; adapterClass?: string }) => {
      try {
        const { summary, html, json } = await testNotebooks(paths, {
          update: opts.update, report: opts.report, timeout: opts.timeout, jobs: opts.jobs, text: opts.text ?? false,
          sanitize: opts.sanitize, adapterClass: opts.adapterClass,
        });
        const c = summary.counts;
        const baselines = [c.written ? `${c.written} baselines written` : '', c.removed ? `${c.removed} removed` : ''].filter(Boolean).join(', ');
        console.log(`notebooks: ${c.notebooks - c.failedNotebooks} passed, ${c.failedNotebooks} failed; images: ${c.images - c.failedImages} ok, ${c.failedImages} failed${baselines ? ` (${baselines})` : ''}${opts.text ? `; texts failed: ${c.failedTexts}` : ''}; cells failed: ${c.failedCells}`);
        for (const hint of summary.hints) console.log(hint);
        console.log(`report: ${html}`);
        console.log(`summary: ${json}`);
        process.exitCode = summary.ok ? 0 : EXIT_FAILED;
      } catch (e) {
        if (e instanceof InvalidArgumentError) {
          console.error(`dawn-rfb test-notebooks: ${e.message}`);
          process.exitCode = EXIT_USAGE;
        } else if (e instanceof DawnRfbError) {
          console.error(`dawn-rfb test-notebooks: ${e.message}`);
          process.exitCode = EXIT_FAILED;
        } else {
          throw e;
        }
      }
    });
}
