// The connection state, shown as a small overlay and as data-status on the root (which is what
// tests and the notebook's own scripts observe). The last frame stays underneath when the
// connection drops: a stale picture with a notice beats an empty box. When no URL answered in a
// whole round, the notice says which were tried (also as data-tried, joined by spaces) and how to
// configure a route, until a connection goes live; the retries go on meanwhile. That advice is for
// a view that never connected: one that was live and lost its server says so briefly
// ("disconnected", "kernel restarted or stopped"), and once its canvas is gone for good
// ('ended': "canvas closed", "kernel restarted: re-run the cell") it stops retrying.
import type { ConnectionState } from './connection.js';
import { displayUrl } from './urls.js';

const LIVE_NOTICE_MS = 2500;

/** A view's status: its connection's, or 'closed' once the widget was closed. */
export type Status = ConnectionState['status'] | 'closed';

/** Shows the connection state in the overlay box and as the root's data-status (and data-tried). */
export class StatusOverlay {
  private current: Status = 'connecting';
  private countdown: ReturnType<typeof setInterval> | undefined;
  /** Hides the "live, …" notice after a moment. */
  private notice: ReturnType<typeof setTimeout> | undefined;
  /** "Could not reach…" once a round of URLs failed, until live (or the end). */
  private unreachable: string | null = null;

  /** `hint` follows the list of tried URLs: how to give the page a route to the server. */
  constructor(private readonly root: HTMLElement, private readonly box: HTMLElement, private readonly hint?: string) {}

  get status(): Status {
    return this.current;
  }

  show(state: ConnectionState | { status: 'closed' }): void {
    clearInterval(this.countdown);
    clearTimeout(this.notice);
    this.current = state.status;
    this.root.dataset.status = state.status;
    if (state.status === 'disconnected' && state.tried && !state.lost) {
      this.root.dataset.tried = state.tried.join(' ');
      const hint = this.hint ? ` ${this.hint}.` : '';
      this.unreachable = `Could not reach the dawn-rfb server. Tried: ${state.tried.map(displayUrl).join(', ')}.${hint}`;
    } else if (state.status !== 'connecting' && state.status !== 'disconnected') {
      // Live, or an answer from the server (error), or the end: the notice no longer applies.
      delete this.root.dataset.tried;
      this.unreachable = null;
    }
    switch (state.status) {
      case 'connecting':
        this.text(this.unreachable === null ? 'connecting…' : `${this.unreachable} Retrying…`);
        break;
      case 'live':
        // Which path is live: in data-transport for good, in the status line for a moment.
        this.root.dataset.transport = state.transport;
        this.text(state.transport === 'jupyter' ? 'live, through the Jupyter connection' : 'live, direct');
        this.notice = setTimeout(() => this.text(null), LIVE_NOTICE_MS);
        break;
      case 'disconnected': {
        // A view that was live lost its server: a brief notice, not the advice on routes.
        const lead = state.lost === 'kernel' ? 'kernel restarted or stopped' : 'disconnected';
        const tick = () => {
          const seconds = Math.max(0, Math.ceil((state.retryAt - performance.now()) / 1000));
          this.text(this.unreachable === null
            ? `${lead}, reconnecting in ${seconds} s`
            : `${this.unreachable} Retrying in ${seconds} s.`);
        };
        tick();
        this.countdown = setInterval(tick, 250);
        break;
      }
      case 'error':
      case 'ended':
        this.text(state.message);
        break;
      case 'closed':
        this.text('closed');
        break;
    }
  }

  /**
   * Says what the frames come as (`h264` video, or a still format such as `jpeg`): in the root's
   * data-codec for good, in the status line for a moment when it changes while live.
   */
  codec(codec: string, video: boolean): void {
    if (this.root.dataset.codec === codec) return;
    this.root.dataset.codec = codec;
    if (this.current !== 'live') return;
    clearTimeout(this.notice);
    this.text(video ? `live, ${codec} video` : `live, ${codec} stills`);
    this.notice = setTimeout(() => this.text(null), LIVE_NOTICE_MS);
  }

  private text(text: string | null): void {
    this.box.hidden = text === null;
    this.box.textContent = text ?? '';
  }
}
