/**
 * The conversation: items to DOM, part by part, in order.
 *
 * Every part appends where its item falls, except a `tool` part: it replaces the row with
 * the same `tool.key` in place (its first part creates the row), because Python sends the
 * whole run again each time it changes. Nothing here works out what an event means; an item
 * with no parts draws nothing. Updates touch only what they change: a trait update reaches
 * the approval cards, a tool part only its own row.
 */

import { ApprovalCard, type ApprovalActions } from "./approval";
import { h, localTime } from "./dom";
import { LocalAskCard, decorateRow, liveState, placeAfter, type LocalActions } from "./local";
import type {
  ApprovalState,
  Item,
  LiveRun,
  LocalAsk,
  LocalDecision,
  SentAnswer,
  ToolRun,
} from "./model";
import { renderPart } from "./parts";
import { fillToolRow, toolRow } from "./tools";

interface ToolEntry {
  row: HTMLDetailsElement;
  /** The seq of the item whose part the row shows: a row never goes back to an older one. */
  seq: number;
}

export class Conversation {
  readonly el: HTMLElement;
  private readonly tools = new Map<string, ToolEntry>();
  private cards: ApprovalCard[] = [];
  private approvals: Record<string, ApprovalState> = {};
  private answers: Record<string, SentAnswer> = {};
  private kept: Record<string, string> = {};
  private disabled = false;
  /** Where new nodes go: the log, or a fragment while earlier items are rendered. */
  private target: HTMLElement | DocumentFragment;
  private readonly askCards = new Map<string, LocalAskCard>();
  private readonly live = new Map<string, LiveRun>();
  private ticker: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly handlers: ApprovalActions & LocalActions) {
    this.el = h("div", "neo-items");
    this.target = this.el;
    this.el.setAttribute("role", "log");
    this.el.setAttribute("aria-live", "polite");
  }

  clear(): void {
    this.el.replaceChildren();
    this.tools.clear();
    this.cards = [];
    // Ask cards outlive a re-render (what a person typed in one stays); they go back after
    // their rows as these come, or at the end (setLocalAsks).
  }

  /** Stop the running timers (the view goes). */
  dispose(): void {
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
  }

  /**
   * Every call asked about, and the decisions: a card per call, after its run's row; a
   * decided card shows the decision instead of buttons. Returns the new undecided cards.
   */
  setLocalAsks(
    asks: Record<string, LocalAsk>,
    decisions: Record<string, LocalDecision>,
  ): LocalAskCard[] {
    const added: LocalAskCard[] = [];
    for (const ask of Object.values(asks)) {
      if (this.askCards.has(ask.call_id)) continue;
      const card = new LocalAskCard(ask, this.handlers);
      card.setDecision(decisions[ask.call_id]);
      card.setDisabled(this.disabled);
      this.askCards.set(ask.call_id, card);
      placeAfter(this.tools.get(ask.call_id)?.row ?? null, card.el, this.el);
      if (!decisions[ask.call_id]) added.push(card);
    }
    for (const [callId, card] of this.askCards) {
      card.setDecision(decisions[callId]);
      if (!card.el.isConnected) placeAfter(this.tools.get(callId)?.row ?? null, card.el, this.el);
    }
    return added;
  }

  /** Runs on this machine that changed: their rows show the tail, timer and end. */
  setLive(runs: readonly LiveRun[]): void {
    for (const run of runs) {
      this.live.set(run.call_id, run);
      const row = this.tools.get(run.call_id)?.row;
      if (row) this.decorate(row, run);
    }
    this.tick();
  }

  private decorate(row: HTMLDetailsElement, run: LiveRun): void {
    if (run.state === "running" && row.dataset.local !== "running") row.open = true;
    decorateRow(row, run, Date.now());
  }

  /** While something runs, its timer moves once a second. */
  private tick(): void {
    const running = [...this.live.values()].some((run) => run.state === "running");
    if (running && this.ticker === null) {
      this.ticker = setInterval(() => {
        for (const run of this.live.values()) {
          const row = this.tools.get(run.call_id)?.row;
          const state = row?.querySelector(".neo-live-state");
          if (run.state === "running" && state) state.textContent = liveState(run, Date.now());
        }
        this.tick();
      }, 1000);
    } else if (!running && this.ticker !== null) {
      this.dispose();
    }
  }

  /** Render items after everything shown; returns the approval cards they brought. */
  add(items: readonly Item[]): ApprovalCard[] {
    const cards: ApprovalCard[] = [];
    for (const item of items) this.addItem(item, cards);
    return cards;
  }

  /** Render items that come before everything shown, at the top. */
  addEarlier(items: readonly Item[]): void {
    const fragment = document.createDocumentFragment();
    this.target = fragment;
    try {
      this.add(items);
    } finally {
      this.target = this.el;
    }
    this.el.prepend(fragment);
  }

  setApprovals(approvals: Record<string, ApprovalState>): void {
    this.approvals = approvals;
    for (const card of this.cards) if (card.id) card.setState(approvals[card.id]);
  }

  setAnswers(answers: Record<string, SentAnswer>): void {
    this.answers = answers;
    for (const card of this.cards) if (card.id) card.setAnswer(answers[card.id]);
  }

  setKept(kept: Record<string, string>): void {
    this.kept = kept;
    for (const card of this.cards) if (card.id) card.setKept(kept[card.id]);
  }

  setDisabled(disabled: boolean): void {
    this.disabled = disabled;
    for (const card of this.cards) card.setDisabled(disabled);
    for (const card of this.askCards.values()) card.setDisabled(disabled);
  }

  private addItem(item: Item, cards: ApprovalCard[]): void {
    for (const part of item.parts ?? []) {
      if (part.view === "tool") {
        this.placeTool(part.tool, item);
      } else if (part.view === "approval") {
        const card = new ApprovalCard(part.approval, item.timestamp, this.handlers);
        if (card.id) {
          card.setState(this.approvals[card.id]);
          card.setAnswer(this.answers[card.id]);
          card.setKept(this.kept[card.id]);
        }
        card.setDisabled(this.disabled);
        this.cards.push(card);
        cards.push(card);
        this.target.append(mark(card.el, item));
      } else {
        const node = mark(renderPart(part, item.type), item);
        node.title = localTime(item.timestamp);
        this.target.append(node);
      }
    }
  }

  private placeTool(tool: ToolRun, item: Item): void {
    const entry = this.tools.get(tool.key);
    if (!entry) {
      const row = toolRow();
      fillToolRow(row, tool);
      this.tools.set(tool.key, { row, seq: item.seq });
      this.target.append(mark(row, item));
      const live = this.live.get(tool.key);
      if (live) this.decorate(row, live);
      const card = this.askCards.get(tool.key);
      if (card) row.after(card.el); // asked before its row arrived
      return;
    }
    if (this.target !== this.el && entry.row.parentNode !== this.target) {
      // An earlier page holds where this run was first seen: the row moves there, keeping
      // the later state it shows.
      this.target.append(mark(entry.row, item));
    }
    if (item.seq >= entry.seq) {
      fillToolRow(entry.row, tool);
      entry.seq = item.seq;
      const live = this.live.get(tool.key);
      if (live) this.decorate(entry.row, live);
    }
  }
}

/** Tag a part's node with its item, for tests and for people reading the DOM. */
function mark<T extends HTMLElement>(node: T, item: Item): T {
  node.dataset.seq = String(item.seq);
  node.dataset.type = item.type;
  return node;
}
