/**
 * The data-path cache: access key → secret (opened once), status, expiry and compiled policies, answered
 * synchronously from memory. The replica holds every record, so a lookup never reads the store: an unknown key
 * is a map miss (denied at once), and a change is seen as soon as the replica applies it — entries are checked
 * against the record they were built from, so a local write or another replica's revision invalidates them.
 * When the store has not been read for the staleness limit, non-root keys are refused (fail closed).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html
 */
import { LRUCache } from "lru-cache";
import { compilePolicy } from "../authorize/index.js";
import { isKnownAction } from "./actions.js";
import { MANAGED_POLICIES } from "./managed-policies.js";
import { openSecret, } from "./store/index.js";
/** Denies everything: stands in for a stored policy that no longer compiles, so a lost Deny cannot open access. */
const DENY_ALL = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}';
/** Compiles the default version of a policy document (the same compile options the IAM API validates with). */
export function compileStored(p) {
    const doc = p.versions.find((v) => v.versionId === p.defaultVersionId)?.document ?? DENY_ALL;
    try {
        return compilePolicy(doc, { id: p.arn, version: p.defaultVersionId, isKnownAction });
    }
    catch {
        return compilePolicy(DENY_ALL, { id: p.arn, version: p.defaultVersionId, isKnownAction });
    }
}
/** The KeyLookup authenticate() uses, plus the compiled policies authorization evaluates. */
export class KeyCache {
    replica;
    master;
    opts;
    #entries;
    #compiled = new Map();
    #usage = new Map();
    #policyGeneration = 0;
    #timer;
    constructor(replica, master, opts) {
        this.replica = replica;
        this.master = master;
        this.opts = opts;
        this.#entries = new LRUCache({ max: opts.max ?? 200_000 });
        replica.onChange((changes) => {
            if (changes.length === 0) {
                this.#entries.clear();
                this.#compiled.clear();
                this.#policyGeneration++;
            }
            for (const c of changes) {
                if (c.kind === "key")
                    this.#entries.delete(c.id);
                else {
                    this.#compiled.delete(c.id);
                    this.#policyGeneration++;
                }
            }
        });
    }
    /** Starts flushing last-used times. */
    start() {
        this.#timer = setInterval(() => void this.flushUsage().catch(() => undefined), this.opts.usageFlushMs ?? 60_000);
        this.#timer.unref();
    }
    #entry(id) {
        const data = this.replica.state.keys.get(id);
        if (data === undefined)
            return undefined;
        let entry = this.#entries.get(id);
        if (entry === undefined || entry.data !== data) {
            let secret;
            try {
                secret = openSecret(this.master, id, data.sealedSecret);
            }
            catch {
                return undefined;
            }
            entry = { data, secret, policyGeneration: -1, policies: [] };
            this.#entries.set(id, entry);
        }
        return entry;
    }
    /** The key as authentication needs it; undefined for an unknown key. Synchronous: memory only. */
    get(accessKeyId) {
        const entry = this.#entry(accessKeyId);
        if (entry === undefined)
            return undefined;
        return { secret: entry.secret, isRoot: false, active: this.isUsable(entry.data) };
    }
    /** Active, not expired, and the store fresh enough to trust. */
    isUsable(data, now = this.opts.now()) {
        return (data.status === "Active" &&
            (data.expiresAt === undefined || now < data.expiresAt) &&
            !this.replica.stale(now));
    }
    /** The compiled policies attached to a key (empty for unknown keys): what authorization evaluates. */
    principalPolicies(accessKeyId) {
        const entry = this.#entry(accessKeyId);
        if (entry === undefined)
            return [];
        if (entry.policyGeneration !== this.#policyGeneration) {
            entry.policies = entry.data.policies.map((arn) => this.compiled(arn)).filter((p) => p !== undefined);
            entry.policyGeneration = this.#policyGeneration;
        }
        return entry.policies;
    }
    /** The compiled default version of a policy by ARN (stored or prebuilt). */
    compiled(arn) {
        const data = MANAGED_POLICIES.get(arn) ?? this.replica.state.policies.get(arn);
        if (data === undefined)
            return undefined;
        const hit = this.#compiled.get(arn);
        if (hit !== undefined && hit.data === data)
            return hit.policy;
        const policy = compileStored(data);
        this.#compiled.set(arn, { data, policy });
        return policy;
    }
    /** Notes a successful authentication, in memory; flushUsage() writes a batch. */
    recordUse(accessKeyId, service, region) {
        if (!this.replica.state.keys.has(accessKeyId))
            return;
        this.#usage.set(accessKeyId, { at: this.opts.now(), service, region });
    }
    /** The newest last-used time known here: the store's, or one not yet flushed. */
    lastUsed(accessKeyId) {
        const pending = this.#usage.get(accessKeyId);
        const stored = this.replica.state.keys.get(accessKeyId)?.lastUsed;
        if (pending === undefined)
            return stored;
        return stored === undefined || pending.at > stored.at ? pending : stored;
    }
    /** Writes the pending last-used times as one revision. */
    async flushUsage() {
        if (this.#usage.size === 0)
            return;
        const batch = new Map(this.#usage);
        this.#usage.clear();
        const commit = this.replica.commit((tx) => {
            for (const [id, used] of batch) {
                const k = tx.key(id);
                if (k !== undefined && (k.lastUsed === undefined || k.lastUsed.at < used.at))
                    tx.putKey({ ...k, lastUsed: used });
            }
        });
        try {
            await commit;
        }
        catch (err) {
            // Keep what was not written for the next flush, unless newer uses arrived meanwhile.
            for (const [id, used] of batch)
                if (!this.#usage.has(id))
                    this.#usage.set(id, used);
            throw err;
        }
    }
    async close() {
        clearInterval(this.#timer);
        await this.flushUsage().catch(() => undefined);
    }
}
//# sourceMappingURL=cache.js.map