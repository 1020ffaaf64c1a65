/**
 * Actions in flight: each goes to the kernel with a fresh `request_id` and resolves with the
 * kernel's `ack` for that id. Acks for ids this view did not send (another view of the same
 * inbox) are not its business.
 */

import { newRequestId } from "./dom";
import type { InboxAck, InboxAction, InboxViewMessage } from "./inbox-model";

export class Requests {
  private readonly pending = new Map<string, (ack: InboxAck) => void>();

  constructor(private readonly send: (message: InboxViewMessage) => void) {}

  get size(): number {
    return this.pending.size;
  }

  act(action: InboxAction): Promise<InboxAck> {
    const requestId = newRequestId();
    return new Promise((resolve) => {
      this.pending.set(requestId, resolve);
      this.send({ ...action, request_id: requestId });
    });
  }

  /** Send without waiting for an ack (`sync`, which the kernel answers with rows). */
  post(action: InboxAction): void {
    this.send({ ...action, request_id: newRequestId() });
  }

  /** An `ack` from the kernel; false when it answers another view. */
  resolve(ack: InboxAck): boolean {
    const resolve = this.pending.get(ack.request_id);
    if (!resolve) return false;
    this.pending.delete(ack.request_id);
    resolve({ ...ack, ok: ack.ok ?? null, error: ack.error ?? null });
    return true;
  }

  /** Fail everything in flight (the kernel is gone), so no control stays locked. */
  failAll(error: string): void {
    for (const requestId of [...this.pending.keys()]) {
      this.resolve({ type: "ack", request_id: requestId, ok: false, error });
    }
  }

  /** Forget everything in flight without answering: the view is gone. */
  clear(): void {
    this.pending.clear();
  }
}
