// What history remembers, indexed once per run: the analyser looks up, for every live association, the
// versions of the same association and of the associations on the same service account. Built over the
// versions the store returns (any order, any store), so every lookup is proportional to what is found,
// not to the size of history.
import { slotKey } from "./identity";
import type { SeenAssociation } from "./types";

export class HistoryIndex {
  private constructor(
    private readonly byId: ReadonlyMap<string, readonly SeenAssociation[]>,
    private readonly bySlot: ReadonlyMap<string, readonly SeenAssociation[]>,
  ) {}

  static of(versions: readonly SeenAssociation[]): HistoryIndex {
    const byId = new Map<string, SeenAssociation[]>();
    const bySlot = new Map<string, SeenAssociation[]>();
    const add = (m: Map<string, SeenAssociation[]>, k: string, v: SeenAssociation) => {
      const list = m.get(k);
      if (list) list.push(v);
      else m.set(k, [v]);
    };
    for (const v of versions) {
      add(byId, v.associationId, v);
      add(bySlot, slotKey(v), v);
    }
    // Newest modification first: the previous configuration is the first one older than live's.
    for (const list of byId.values()) list.sort((a, b) => b.modifiedAt.getTime() - a.modifiedAt.getTime());
    return new HistoryIndex(byId, bySlot);
  }

  /** Every remembered version of one association, newest modification first. */
  versionsOf(associationId: string): readonly SeenAssociation[] {
    return this.byId.get(associationId) ?? [];
  }

  /** Every remembered version of any association on one service account (slotKey). */
  onSlot(slot: string): readonly SeenAssociation[] {
    return this.bySlot.get(slot) ?? [];
  }

  /** The version of each association seen last. */
  *latest(): Iterable<SeenAssociation> {
    for (const list of this.byId.values()) {
      let last = list[0]!;
      for (const v of list) if (v.lastSeenAt.getTime() > last.lastSeenAt.getTime()) last = v;
      yield last;
    }
  }
}
