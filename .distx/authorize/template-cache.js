const MAX_ENTRIES = 64;
/**
 * A template plus a bounded cache of what it compiles to for each set of variable values.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
 */
export class TemplateCache {
    template;
    /** The literal text every resolution starts with (up to the first wildcard or variable). */
    prefix;
    vars;
    build;
    cache = new Map();
    constructor(template, build) {
        this.template = template;
        this.build = build;
        this.vars = template.parts.filter((p) => p.kind === "var");
        let prefix = "";
        for (const part of template.parts) {
            if (part.kind === "var")
                break;
            if (part.kind === "escape") {
                prefix += part.text;
                continue;
            }
            const stop = part.text.search(/[*?]/);
            prefix += stop < 0 ? part.text : part.text.slice(0, stop);
            if (stop >= 0)
                break;
        }
        this.prefix = prefix;
    }
    value(part, context) {
        const values = context.get(part.key);
        if (values !== undefined && values.length === 1)
            return values[0];
        if (part.fallback !== undefined && (values === undefined || values.length === 0))
            return part.fallback;
        return undefined;
    }
    /** The compiled value for this request's variables, or undefined when a variable has no single value. */
    get(context) {
        let key = "";
        for (const part of this.vars) {
            const v = this.value(part, context);
            if (v === undefined)
                return undefined;
            key = this.vars.length === 1 ? v : `${key}${v.length}:${v}`;
        }
        const hit = this.cache.get(key);
        if (hit !== undefined)
            return hit;
        const pieces = this.template.parts.map((part) => part.kind === "var"
            ? { text: this.value(part, context), literal: true }
            : { text: part.text, literal: part.kind === "escape" });
        const built = this.build(pieces);
        if (this.cache.size >= MAX_ENTRIES)
            this.cache.clear();
        this.cache.set(key, built);
        return built;
    }
    /** True when every variable of the template has a single value (or a default) in the context. */
    resolvable(context) {
        for (const part of this.vars)
            if (this.value(part, context) === undefined)
                return false;
        return true;
    }
}
//# sourceMappingURL=template-cache.js.map