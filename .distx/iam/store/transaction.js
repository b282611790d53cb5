/** The read/write view a mutation function receives. */
export class Transaction {
    base;
    #keys = new Map();
    #policies = new Map();
    constructor(base) {
        this.base = base;
    }
    key(id) {
        const own = this.#keys.get(id);
        return own === undefined ? this.base.keys.get(id) : (own ?? undefined);
    }
    policy(arn) {
        const own = this.#policies.get(arn);
        return own === undefined ? this.base.policies.get(arn) : (own ?? undefined);
    }
    /** Every key, with this transaction's writes applied. */
    *keys() {
        for (const [id, k] of this.base.keys)
            if (!this.#keys.has(id))
                yield k;
        for (const k of this.#keys.values())
            if (k !== null)
                yield k;
    }
    putKey(k) {
        this.#keys.set(k.id, k);
    }
    deleteKey(id) {
        this.#keys.set(id, null);
    }
    putPolicy(p) {
        this.#policies.set(p.arn, p);
    }
    deletePolicy(arn) {
        this.#policies.set(arn, null);
    }
    /** The changes to record, in a stable order. */
    changes() {
        const out = [];
        for (const [id, value] of this.#policies)
            out.push({ kind: "policy", id, value });
        for (const [id, value] of this.#keys)
            out.push({ kind: "key", id, value });
        return out;
    }
}
//# sourceMappingURL=transaction.js.map