import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resolveUrl } from "../src/client/prepare.js";

const BASES = ["http://127.0.0.1:4010/", "https://api.example.com/v2/", "http://h:8080/a/b/"].map(
  (b) => new URL(b),
);
/** What the URL parser makes of a path resolved against the base, the way resolveUrl always did. */
const resolved = (base: URL, path: string) => new URL(path.replace(/^\/+/, ""), base).href;

describe("resolveUrl", () => {
  it("reads a plain path as resolving it against the base would, dot segments and encodings included (fast-check)", () => {
    const char = fc.constantFrom(..."abcXYZ019-._~!$&'()*+,;=@/%?#");
    const token = fc.constantFrom("../", "./", "..", ".a", "/.", "%2e%2e/", "%2E", "//", "?a=1&b=2", "#f");
    const path = fc.array(fc.oneof(char, token), {
      maxLength: 30,
    });
    fc.assert(
      fc.property(fc.constantFrom(...BASES), path, (base, parts) => {
        const text = parts.join("");
        let expected: string | Error;
        try {
          expected = resolved(base, text);
        } catch (error) {
          expected = error as Error;
        }
        if (expected instanceof Error) {
          expect(() => resolveUrl(base, text)).toThrow();
          return;
        }
        // The base's origin is kept: a path can climb its directories, never leave its host.
        expect(resolveUrl(base, text).href).toBe(expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it("removes dot segments that Node 20's parser leaves in a whole URL (`https://h/v2/.a/../`)", () => {
    const base = BASES[1]!;
    expect(resolveUrl(base, ".a/../").href).toBe("https://api.example.com/v2/");
    expect(resolveUrl(base, "/x/.b/../y").href).toBe("https://api.example.com/v2/x/y");
  });

  it("keeps refusing paths the parser reads as another host or scheme", () => {
    const base = BASES[1]!;
    for (const path of [
      "\\\\evil.example/x",
      " //evil.example/x",
      "\t//evil.example",
      "/files:upload",
      "//evil.example",
    ]) {
      let sameOrigin: boolean;
      try {
        sameOrigin = new URL(resolved(base, path)).origin === base.origin;
      } catch {
        sameOrigin = false;
      }
      if (sameOrigin) expect(resolveUrl(base, path).href).toBe(resolved(base, path));
      else expect(() => resolveUrl(base, path)).toThrow(/Refusing to send the API key|Invalid URL/);
    }
  });
});
