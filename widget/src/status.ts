// The connection state, shown as a small overlay and as data-status on the root (which is what
// tests and the notebook's own scripts observe). The last frame stays underneath when the
// connection drops: a stale picture with a notice beats an empty box.
import type { ConnectionState } from './connection.js';

export type Status = ConnectionState['status'] | 'closed';

export class StatusOverlay {
  private current: Status = 'connecting';
  private countdown: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly root: HTMLElement, private readonly box: HTMLElement) {}

  get status(): Status {
    return this.current;
  }

  show(state: ConnectionState | { status: 'closed' }): void {
    clearInterval(this.countdown);
    this.current = state.status;
    this.root.dataset.status = state.status;
    switch (state.status) {
      case 'connecting':
        this.text('connecting…');
        break;
      case 'live':
        this.text(null);
        break;
      case 'disconnected': {
        const tick = () => {
          const seconds = Math.max(0, Math.ceil((state.retryAt - performance.now()) / 1000));
          this.text(`disconnected, reconnecting in ${seconds} s`);
        };
        tick();
        this.countdown = setInterval(tick, 250);
        break;
      }
      case 'error':
        this.text(state.message);
        break;
      case 'closed':
        this.text('closed');
        break;
    }
  }

  private text(text: string | null): void {
    this.box.hidden = text === null;
    this.box.textContent = text ?? '';
  }
}
