/**
 * Policy documents on their way into the store: validated and compiled by the same engine that guards the data
 * path; a problem is MalformedPolicyDocument with the validator's message.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html#API_CreatePolicy_Errors
 */
import { checkPolicy } from "../../authorize/index.js";
import { IamError } from "../../errors.js";
import { isKnownAction } from "../actions.js";
/** Compiles a document or throws MalformedPolicyDocument listing its problems with their JSON paths. */
export function compileDocument(document, id, version) {
    const checked = checkPolicy(document, { id, ...(version === undefined ? {} : { version }), isKnownAction });
    if (!checked.ok) {
        const text = checked.problems
            .map((p) => (p.path === "" ? p.message : `${p.path}: ${p.message}`))
            .join("; ");
        throw new IamError("MalformedPolicyDocument", text);
    }
    return checked.policy;
}
//# sourceMappingURL=policy-document.js.map