// When a baseline may be written. Shared by the vitest matcher and `dawn-rfb test-notebooks`.
import { InvalidArgumentError } from '../errors.js';

/**
 * - `all`: write every baseline (even matching ones),
 * - `changed`: write missing and failing baselines,
 * - `missing`: write only missing baselines (existing ones are compared),
 * - `none`: write nothing; a missing baseline fails.
 */
export type SnapshotUpdateMode = 'all' | 'changed' | 'missing' | 'none';
/** Every update mode. */
export const SNAPSHOT_UPDATE_MODES: readonly SnapshotUpdateMode[] = ['all', 'changed', 'missing', 'none'];
/** Environment variable that chooses the update mode. */
export const UPDATE_MODE_ENV = 'DAWN_RFB_UPDATE_SNAPSHOTS';

/** Checks an update mode name. */
export function parseUpdateMode(value: string, from = 'update mode'): SnapshotUpdateMode {
  if (!(SNAPSHOT_UPDATE_MODES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`unknown ${from} ${JSON.stringify(value)}; allowed: ${SNAPSHOT_UPDATE_MODES.join(', ')}`);
  }
  return value as SnapshotUpdateMode;
}

/**
 * The update mode in force: the explicit one, else env `DAWN_RFB_UPDATE_SNAPSHOTS`, else
 * `none` under `CI=true` (a missing baseline fails there) and `missing` elsewhere.
 */
export function resolveUpdateMode(explicit?: string): SnapshotUpdateMode {
  if (explicit !== undefined) return parseUpdateMode(explicit);
  const env = process.env[UPDATE_MODE_ENV];
  if (env) return parseUpdateMode(env, `${UPDATE_MODE_ENV}`);
  return isCi() ? 'none' : 'missing';
}

/** Whether we run under CI (`CI` set to anything but "" / "0" / "false"). */
export function isCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/** What to do with a baseline, given the mode, whether it exists and (if it does) whether it matched. */
export function baselineAction(mode: SnapshotUpdateMode, exists: boolean, matched: boolean): 'write' | 'keep' | 'fail-missing' {
  if (!exists) return mode === 'none' ? 'fail-missing' : 'write';
  if (mode === 'all' || (mode === 'changed' && !matched)) return 'write';
  return 'keep';
}
