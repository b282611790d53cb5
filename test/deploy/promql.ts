/**
 * A recursive-descent parser for the PromQL the dashboard and the alert rules use: selectors with matchers and
 * ranges, function calls, aggregations with by/without, arithmetic, comparison and set operators, numbers,
 * strings, parentheses. It returns the metric names referenced and throws on anything it does not understand, so
 * every query stays inside a grammar that Prometheus accepts. Grafana's `$__rate_interval` and `$var` are
 * substituted first.
 */
const FUNCTIONS = new Set([
  "rate",
  "irate",
  "increase",
  "histogram_quantile",
  "time",
  "abs",
  "clamp_min",
  "clamp_max",
  "label_values",
  "vector",
  "absent",
]);
const AGGREGATIONS = new Set(["sum", "min", "max", "avg", "count", "topk", "bottomk", "quantile"]);
const BINARY = ["==", "!=", ">=", "<=", ">", "<", "+", "-", "*", "/", "%", "and", "or", "unless"];

export function parsePromQL(query: string): string[] {
  const src = query.replace(/\$__rate_interval|\$__interval|\$__range/g, "5m").replace(/\$\w+/g, "x");
  const tokens =
    src.match(
      /"(?:[^"\\]|\\.)*"|\d+(?:\.\d+)?|==|!=|=~|!~|>=|<=|[A-Za-z_:][\w:]*|\[[^\]]*\]|[{}(),=<>+\-*/%]|\S/g,
    ) ?? [];
  let i = 0;
  const metrics: string[] = [];
  const peek = (): string | undefined => tokens[i];
  const next = (): string => {
    const t = tokens[i++];
    if (t === undefined) throw new Error(`unexpected end of ${query}`);
    return t;
  };
  const expect = (t: string): void => {
    const got = next();
    if (got !== t) throw new Error(`expected ${t}, got ${got} in ${query}`);
  };
  const labels = (): void => {
    expect("(");
    while (peek() !== ")") {
      if (!/^[A-Za-z_]\w*$/.test(next())) throw new Error(`bad label list in ${query}`);
      if (peek() === ",") next();
    }
    expect(")");
  };
  const matchers = (): void => {
    expect("{");
    while (peek() !== "}") {
      if (!/^[A-Za-z_]\w*$/.test(next())) throw new Error(`bad matcher in ${query}`);
      if (!["=", "!=", "=~", "!~"].includes(next())) throw new Error(`bad matcher operator in ${query}`);
      if (!next().startsWith('"')) throw new Error(`matcher value must be a string in ${query}`);
      if (peek() === ",") next();
    }
    expect("}");
  };
  const range = (): void => {
    if (peek()?.startsWith("[")) {
      if (!/^\[\d+[smhdwy]\]$/.test(next())) throw new Error(`bad range in ${query}`);
    }
  };
  const primary = (): void => {
    const t = next();
    if (t === "(") {
      expr();
      expect(")");
      range();
    } else if (t.startsWith('"') || /^\d/.test(t)) {
      return;
    } else if (t === "-") {
      primary();
    } else if (AGGREGATIONS.has(t)) {
      if (peek() === "by" || peek() === "without") {
        next();
        labels();
      }
      expect("(");
      expr();
      while (peek() === ",") {
        next();
        expr();
      }
      expect(")");
      if (peek() === "by" || peek() === "without") {
        next();
        labels();
      }
    } else if (FUNCTIONS.has(t) && peek() === "(") {
      next();
      if (peek() !== ")") {
        expr();
        while (peek() === ",") {
          next();
          expr();
        }
      }
      expect(")");
    } else if (/^[A-Za-z_:][\w:]*$/.test(t) && !BINARY.includes(t)) {
      metrics.push(t);
      if (peek() === "{") matchers();
      range();
    } else {
      throw new Error(`unexpected ${t} in ${query}`);
    }
  };
  const expr = (): void => {
    primary();
    while (peek() !== undefined && BINARY.includes(peek()!)) {
      next();
      if (peek() === "bool") next();
      primary();
    }
  };
  expr();
  if (i !== tokens.length) throw new Error(`trailing ${tokens.slice(i).join(" ")} in ${query}`);
  return metrics;
}
