import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pathBelow, resolveUrl, targetOf } from "../../src/client/prepare.js";

const BASES = ["https://api.example.test/", "https://api.example.test/v2/", "http://127.0.0.1:8080/a/b/"].map(
  (href) => new URL(href),
);

describe("targetOf: where a request goes, below the base URL", () => {
  it.each([
    ["/bookings/bkg_000001", "https://api.example.test/v2/bookings/bkg_000001", "/bookings/bkg_000001"],
    ["//api/v1/x?page=2&at=12:00", "https://api.example.test/v2/api/v1/x?page=2&at=12:00", "/api/v1/x"],
    ["?page=2", "https://api.example.test/v2/?page=2", "/"],
    ["", "https://api.example.test/v2/", "/"],
    ["a//b/.well-known/c..d", "https://api.example.test/v2/a//b/.well-known/c..d", "/a//b/.well-known/c..d"],
  ])("%j", (input, url, path) => {
    expect(targetOf(BASES[1]!, input)).toEqual({ url, path });
  });

  it("leaves to the parser what it would change: dot segments, escapes, a scheme, a fragment", () => {
    const base = BASES[1]!;
    expect(targetOf(base, "/a/../b").url).toBe("https://api.example.test/v2/b");
    expect(targetOf(base, "/a/%2e%2E/b").url).toBe("https://api.example.test/v2/b");
    expect(targetOf(base, "/a b?q='x'#f").url).toBe("https://api.example.test/v2/a%20b?q=%27x%27#f");
    expect(targetOf(base, "https://api.example.test/v2/c").path).toBe("/c");
    expect(() => targetOf(base, "mailto:x")).toThrow(/Refusing to send the API key/);
    expect(() => targetOf(base, "\\\\evil.example/x")).toThrow(/Refusing to send the API key/);
  });

  it("joins a plain path as the URL parser would: the same URL and path for any input it takes", () => {
    const unit = fc.constantFrom(..."aZ09-._~!$&()*+,;=@/:?#%2eE'\\ ".split(""), "..", "./", "//", "é");
    fc.assert(
      fc.property(fc.constantFrom(...BASES), fc.string({ unit, maxLength: 24 }), (base, input) => {
        let parsed: { url: string; path: string } | undefined;
        try {
          const url = resolveUrl(base, input);
          if (url.origin === base.origin) parsed = { url: url.href, path: pathBelow(base, url) };
        } catch {
          parsed = undefined;
        }
        let joined: { url: string; path: string } | undefined;
        try {
          joined = targetOf(base, input);
        } catch {
          joined = undefined;
        }
        expect(joined).toEqual(parsed);
      }),
      { numRuns: 10_000 },
    );
  });

  it("never sends the key to another origin, whatever the input", () => {
    const unit = fc.constantFrom(
      ..."aZ09-._~!$&()*+,;=@/:?#%2eE'\\ \t\n\"<>`{}^|[]".split(""),
      "é",
      "..",
      "./",
      "%2e",
      "//",
      "http:",
      "evil.example",
    );
    fc.assert(
      fc.property(fc.constantFrom(...BASES), fc.string({ unit, maxLength: 24 }), (base, input) => {
        let url: string;
        try {
          url = targetOf(base, input).url;
        } catch (error) {
          expect(String(error)).toMatch(/Refusing to send the API key|is not a URL/);
          return;
        }
        expect(new URL(url).origin).toBe(base.origin);
      }),
      { numRuns: 5_000 },
    );
  });
});
