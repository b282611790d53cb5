/**
 * The one interface every store backend implements: an append-only sequence of numbered revision records, where
 * creating record N is atomic create-if-absent (the only write that must be serialised), plus immutable
 * snapshots of the whole state. The replica (replica.ts) builds keys, policies and transactions on top.
 */
/** Record and snapshot names: the revision zero-padded to 12 digits, so names sort like numbers. */
export function revName(rev) {
    return String(rev).padStart(12, "0") + ".json";
}
/** The revision a name carries, or undefined for other names. */
export function revOf(name) {
    const m = /^(\d{12})\.json$/.exec(name);
    return m === null ? undefined : Number(m[1]);
}
//# sourceMappingURL=log-backend.js.map