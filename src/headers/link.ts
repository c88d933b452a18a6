/** One link of a `Link` header (RFC 8288 §3). */
export interface LinkValue {
  /** The target as written between `<` and `>`: a URI reference, relative ones included. */
  target: string;
  /** Its relation types, lower-cased: `rel="next last"` gives `["next", "last"]`. */
  rel: string[];
  /** Its other parameters, names lower-cased, quoted values unquoted; the first of each name. */
  params: Record<string, string>;
}

const SPACE = /[ \t]/;
/** Where a token ends: RFC 9110's delimiters that may follow one here, or whitespace. */
const TOKEN_END = /[ \t;,="]/;

/**
 * Reads a `Link` field (several fields of one response arrive joined by commas) into its links, per
 * RFC 8288 §3: `<target>; rel="next"; title="a, b"`. Commas and semicolons inside a target or a
 * quoted string belong to it; a `rel` given twice counts once (§3.3). A link it cannot read is
 * skipped, up to the next comma that separates links. Never throws.
 *
 * @example
 * parseLinkHeader('<https://api.example.com/items?page=2>; rel="next", </items?page=9>; rel=last');
 * // [{ target: "https://api.example.com/items?page=2", rel: ["next"], params: {} },
 * //  { target: "/items?page=9", rel: ["last"], params: {} }]
 */
export function parseLinkHeader(field: string | null | undefined): LinkValue[] {
  const links: LinkValue[] = [];
  if (typeof field !== "string") return links;
  const n = field.length;
  let i = 0;
  const skipSpace = () => {
    while (i < n && SPACE.test(field[i]!)) i++;
  };
  /** Past the comma that ends the current link, minding quoted strings and targets. */
  const skipLink = () => {
    while (i < n && field[i] !== ",") {
      if (field[i] === '"') readQuoted();
      else if (field[i] === "<") {
        const close = field.indexOf(">", i);
        i = close === -1 ? n : close + 1;
      } else i++;
    }
  };
  const readQuoted = (): string => {
    let text = "";
    for (i++; i < n && field[i] !== '"'; i++) {
      if (field[i] === "\\" && i + 1 < n) i++;
      text += field[i];
    }
    i++;
    return text;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && !TOKEN_END.test(field[i]!)) i++;
    return field.slice(start, i);
  };

  while (i < n) {
    while (i < n && (field[i] === "," || SPACE.test(field[i]!))) i++;
    if (i >= n) break;
    if (field[i] !== "<") {
      skipLink();
      continue;
    }
    const close = field.indexOf(">", i + 1);
    if (close === -1) break;
    // No prototype: a parameter named `__proto__` is a parameter like any other.
    const params: Record<string, string> = Object.create(null);
    const link: LinkValue = { target: field.slice(i + 1, close).trim(), rel: [], params };
    i = close + 1;
    let readable = true;
    let relSeen = false;
    for (;;) {
      skipSpace();
      if (i >= n || field[i] === ",") break;
      if (field[i] !== ";") {
        readable = false;
        break;
      }
      i++;
      skipSpace();
      const name = readToken().toLowerCase();
      skipSpace();
      let value = "";
      if (field[i] === "=") {
        i++;
        skipSpace();
        value = field[i] === '"' ? readQuoted() : readToken();
      }
      if (name === "") continue;
      if (name === "rel") {
        if (relSeen) continue;
        relSeen = true;
        link.rel = value
          .toLowerCase()
          .split(/[ \t]+/)
          .filter(Boolean);
      } else if (!Object.hasOwn(link.params, name)) {
        link.params[name] = value;
      }
    }
    if (readable) links.push(link);
    else skipLink();
  }
  return links;
}

/** The target of the first link of relation `rel` in a `Link` field, or undefined. */
export function linkTarget(field: string | null | undefined, rel: string): string | undefined {
  return parseLinkHeader(field).find((link) => link.rel.includes(rel))?.target;
}
