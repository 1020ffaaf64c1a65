/**
 * The panel's line to its kernel: clicks sent as requests and answered by acks, and whether
 * the kernel is there at all.
 *
 * `Requests`: each action goes with a fresh `request_id` and resolves with the kernel's ack;
 * one unanswered after QUEUED_AFTER_MS is "queued" (the kernel is busy), and a lost kernel
 * answers every pending one with an error so no control stays locked.
 *
 * `Liveness`: why the panel is cut off, if it is: "closed" (the comm closed: final), "dead"
 * (the manager marked the comm dead: a kernel restart, or a dropped websocket that may come
 * back) or "silent" (the first sync went unanswered). Any word from the kernel ends the last
 * two; back from "dead", the view asks for what it missed.
 */

import { newRequestId } from "./dom";
import type { AckMessage, Action, ViewMessage } from "./model";

/** An action unanswered this long is shown as queued behind a busy kernel. */
export const QUEUED_AFTER_MS = 1500;
/** A first sync unanswered this long means the kernel is gone (or far too busy). */
export const SILENT_AFTER_MS = 5000;
/**
 * How often an unanswered first sync is sent again: a view drawn while its kernel runs a cell
 * may send it before the comm's subshell exists, so it waits behind the cell.
 */
export const RESYNC_AFTER_MS = 1000;
/** How long to wait for events the kernel says it holds before asking for them again. */
export const CATCH_UP_AFTER_MS = 2000;

type Timer = ReturnType<typeof setTimeout>;

/** Timers that all go at once when the view goes. */
export class Timers {
  private readonly live = new Set<Timer>();

  later(ms: number, fn: () => void): Timer {
    const timer = setTimeout(() => {
      this.live.delete(timer);
      fn();
    }, ms);
    this.live.add(timer);
    return timer;
  }

  cancel(timer: Timer | null): void {
    if (timer === null) return;
    clearTimeout(timer);
    this.live.delete(timer);
  }

  clear(): void {
    for (const timer of this.live) clearTimeout(timer);
    this.live.clear();
  }
}

interface PendingAction {
  resolve(ack: AckMessage): void;
  timer: Timer;
  queued: boolean;
}

export class Requests {
  private readonly pending = new Map<string, PendingAction>();

  constructor(
    private readonly post: (message: ViewMessage) => void,
    private readonly timers: Timers,
    /** Told whether any request now waits behind a busy kernel. */
    private readonly onQueued: (queued: boolean) => void,
  ) {}

  act(action: Action): Promise<AckMessage> {
    const requestId = newRequestId();
    return new Promise((resolve) => {
      const entry: PendingAction = {
        resolve,
        queued: false,
        timer: this.timers.later(QUEUED_AFTER_MS, () => {
          entry.queued = true;
          this.updateQueued();
        }),
      };
      this.pending.set(requestId, entry);
      this.post({ ...action, request_id: requestId });
    });
  }

  onAck(ack: AckMessage): void {
    const entry = this.pending.get(ack.request_id);
    // Another view of this chat sent it: the kernel answers every view.
    if (!entry) return;
    this.pending.delete(ack.request_id);
    this.timers.cancel(entry.timer);
    this.updateQueued();
    entry.resolve({ ...ack, ok: ack.ok === true });
  }

  /** Answer every pending request with `error` (the kernel is gone). */
  failAll(error: string): void {
    for (const requestId of [...this.pending.keys()]) {
      this.onAck({ type: "ack", request_id: requestId, ok: false, error });
    }
  }

  clear(): void {
    this.pending.clear();
  }

  private updateQueued(): void {
    this.onQueued([...this.pending.values()].some((entry) => entry.queued));
  }
}

export type Lost = "closed" | "dead" | "silent";

export interface LivenessHooks {
  post(message: ViewMessage): void;
  /** The last seq the view holds, and how many events the kernel says it holds. */
  lastSeq(): number;
  eventCount(): number;
  /** The connection changed (lost, or back). */
  changed(): void;
  /** The kernel is gone: answer what waits for it. */
  lost(): void;
}

export class Liveness {
  private why: Lost | null = null;
  private answered = false;
  private silentTimer: Timer | null = null;
  private catchUpTimer: Timer | null = null;
  private lastSync: { after: number; at: number } | null = null;

  constructor(
    private readonly hooks: LivenessHooks,
    private readonly timers: Timers,
  ) {}

  get disconnected(): boolean {
    return this.why !== null;
  }

  /** Ask for every event (again each RESYNC_AFTER_MS until answered); after
   * SILENT_AFTER_MS without an answer, say the kernel is silent. */
  start(): void {
    this.sync();
    this.silentTimer = this.timers.later(SILENT_AFTER_MS, () => {
      this.silentTimer = null;
      if (!this.answered && this.why === null) {
        this.why = "silent";
        this.hooks.changed();
      }
    });
    this.resyncLater();
  }

  private resyncLater(): void {
    this.timers.later(RESYNC_AFTER_MS, () => {
      if (this.answered) return;
      this.lastSync = null;
      this.sync();
      this.resyncLater();
    });
  }

  /** Ask for what follows the last seq held (once per position, however many gaps). */
  sync(): void {
    const after = this.hooks.lastSeq();
    const now = Date.now();
    if (this.lastSync && this.lastSync.after === after && now - this.lastSync.at < SILENT_AFTER_MS)
      return;
    this.lastSync = { after, at: now };
    this.hooks.post({ type: "sync", after });
  }

  /** The kernel sent events: the first sync is answered. */
  gotEvents(): void {
    this.answered = true;
    this.timers.cancel(this.silentTimer);
  }

  /** Any word from the kernel. */
  heard(): void {
    if (this.why === null || this.why === "closed") return;
    const was = this.why;
    this.why = null;
    this.hooks.changed();
    if (was === "dead" || !this.answered) this.sync();
  }

  markLost(reason: "closed" | "dead"): void {
    if (this.why === "closed") return;
    this.why = reason;
    this.hooks.lost();
    this.hooks.changed();
  }

  /** The kernel's event count moved: if the view stays behind it, ask again. */
  checkCaughtUp(): void {
    this.timers.cancel(this.catchUpTimer);
    this.catchUpTimer = this.timers.later(CATCH_UP_AFTER_MS, () => {
      this.catchUpTimer = null;
      if (this.answered && this.hooks.lastSeq() < this.hooks.eventCount() - 1) this.sync();
    });
  }
}
