import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { linkTarget, parseLinkHeader } from "../../src/headers/link.js";

describe("parseLinkHeader (RFC 8288 §3)", () => {
  it("reads GitHub's Link: several links, each with its rel", () => {
    const field =
      '<https://api.github.com/repositories/1/issues?page=2>; rel="next", ' +
      '<https://api.github.com/repositories/1/issues?page=5>; rel="last"';
    expect(parseLinkHeader(field)).toEqual([
      { target: "https://api.github.com/repositories/1/issues?page=2", rel: ["next"], params: {} },
      { target: "https://api.github.com/repositories/1/issues?page=5", rel: ["last"], params: {} },
    ]);
  });

  it("keeps commas and semicolons inside a target or a quoted string, and unescapes quoted pairs", () => {
    const field =
      '</a?x=1,2;3>; title="one, two; \\"three\\""; rel="prev", </b>;rel=next;type=application/json';
    expect(parseLinkHeader(field)).toEqual([
      { target: "/a?x=1,2;3", rel: ["prev"], params: { title: 'one, two; "three"' } },
      { target: "/b", rel: ["next"], params: { type: "application/json" } },
    ]);
  });

  it("splits a rel of several types, lower-cases names and types, and reads only the first rel (§3.3)", () => {
    expect(parseLinkHeader('<x>; REL="Next  Last"; Rel=prev; Anchor="#a"')).toEqual([
      { target: "x", rel: ["next", "last"], params: { anchor: "#a" } },
    ]);
  });

  it("reads several Link fields joined by a comma, as Headers joins them", () => {
    const headers = new Headers();
    headers.append("link", '</p/1>; rel="prev"');
    headers.append("link", '</p/3>; rel="next"');
    expect(linkTarget(headers.get("link"), "next")).toBe("/p/3");
    expect(linkTarget(headers.get("link"), "last")).toBeUndefined();
  });

  it("skips a link it cannot read and keeps the others", () => {
    expect(parseLinkHeader('garbage; rel=next, <ok>; rel=next, <bad> junk, </c>; rel="next"')).toEqual([
      { target: "ok", rel: ["next"], params: {} },
      { target: "/c", rel: ["next"], params: {} },
    ]);
    expect(parseLinkHeader("<never-closed; rel=next")).toEqual([]);
    expect(parseLinkHeader(null)).toEqual([]);
  });

  it("keeps a parameter named __proto__ as data", () => {
    const [link] = parseLinkHeader('<x>; __proto__="polluted"; rel=next');
    expect(Object.entries(link!.params)).toEqual([["__proto__", "polluted"]]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("never throws, and every link it returns has a target and lower-case relation types", () => {
    const piece = fc.constantFrom("<", ">", ";", ",", '"', "\\", "=", " ", "rel", "next", "a", "/x?y=1");
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(piece).map((p) => p.join("")),
        ),
        (field) => {
          for (const link of parseLinkHeader(field)) {
            expect(typeof link.target).toBe("string");
            for (const rel of link.rel) expect(rel).toBe(rel.toLowerCase());
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
