import { validateBucketName, validateKey } from "./names.js";
/** The Host header without port, lower-cased (DNS names are case-insensitive); IPv6 literals keep brackets. */
export function hostName(host) {
    const lower = host.toLowerCase();
    if (lower.startsWith("[")) {
        const end = lower.indexOf("]");
        return end < 0 ? lower : lower.slice(0, end + 1);
    }
    const colon = lower.lastIndexOf(":");
    return colon < 0 ? lower : lower.slice(0, colon);
}
/** Base domains lower-cased, longest first, so `b.s3.example.com` under both `s3.example.com` and `example.com` has one reading. */
export function compileBaseDomains(domains) {
    return [...new Set(domains.map((d) => d.toLowerCase()))].sort((a, b) => b.length - a.length);
}
/** The bucket named by a virtual-hosted Host, or undefined for path style. */
export function virtualHostBucket(host, baseDomains) {
    for (const base of baseDomains) {
        if (host === base)
            return undefined;
    }
    for (const base of baseDomains) {
        if (host.length > base.length + 1 &&
            host.endsWith(base) &&
            host.charCodeAt(host.length - base.length - 1) === 0x2e) {
            return host.slice(0, host.length - base.length - 1);
        }
    }
    return undefined;
}
/** Resolves target, bucket and key from the Host and the once-decoded path. */
export function resolveAddress(req, host, baseDomains) {
    const vhost = virtualHostBucket(host, baseDomains);
    if (vhost !== undefined) {
        validateBucketName(vhost);
        return withKey(vhost, req.path.slice(1));
    }
    const raw = req.rawPath;
    if (raw === "/")
        return { target: "service", bucket: undefined, key: undefined };
    const slash = raw.indexOf("/", 1);
    // The bucket segment is checked raw: a valid name has no `%`, so its decoded form is the same text.
    const bucket = slash < 0 ? raw.slice(1) : raw.slice(1, slash);
    validateBucketName(bucket);
    if (slash < 0)
        return { target: "bucket", bucket, key: undefined };
    return withKey(bucket, req.path.slice(bucket.length + 2));
}
function withKey(bucket, key) {
    if (key === "")
        return { target: "bucket", bucket, key: undefined };
    validateKey(key);
    return { target: "object", bucket, key };
}
//# sourceMappingURL=addressing.js.map