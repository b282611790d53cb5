const GRANT_HEADERS = [
    "x-amz-grant-read",
    "x-amz-grant-write",
    "x-amz-grant-read-acp",
    "x-amz-grant-write-acp",
    "x-amz-grant-full-control",
];
function setsAcl(has) {
    if (has("x-amz-acl"))
        return true;
    for (const h of GRANT_HEADERS)
        if (has(h))
            return true;
    return false;
}
/**
 * The operations whose permission the headers add, on the request's own resource. A header counts when it is
 * present, whatever its value: a value s3gate would read as "off" might not be read so by the backend.
 */
export function headerPermissions(kind, has) {
    const out = [];
    switch (kind) {
        case "object-write":
            if (setsAcl(has))
                out.push("PutObjectAcl");
            if (has("x-amz-tagging"))
                out.push("PutObjectTagging");
            if (has("x-amz-object-lock-mode") || has("x-amz-object-lock-retain-until-date"))
                out.push("PutObjectRetention");
            if (has("x-amz-object-lock-legal-hold"))
                out.push("PutObjectLegalHold");
            break;
        case "bucket-create":
            if (setsAcl(has))
                out.push("PutBucketAcl");
            if (has("x-amz-bucket-object-lock-enabled"))
                out.push("PutObjectLockConfiguration", "PutBucketVersioning");
            if (has("x-amz-object-ownership"))
                out.push("PutBucketOwnershipControls");
            break;
        case "governance-bypass":
            if (has("x-amz-bypass-governance-retention"))
                out.push("BypassGovernanceRetention");
            break;
        case undefined:
            break;
    }
    return out;
}
//# sourceMappingURL=header-checks.js.map