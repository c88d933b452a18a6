import { describe, expect, it } from "vitest";
import { boothzen, campone, type Dialect, github, ietf, openai } from "../../src/index.js";

/**
 * Each preset's paging strategy as data: where a page's items are and what comes next, read from
 * the page shapes each API documents. `test/client/paginate.test.ts` runs them against servers.
 */
function page(dialect: Dialect, body: unknown, options: { query?: object; link?: string } = {}) {
  const pagination = dialect.pagination!;
  const response = new Response(null, { headers: options.link ? { link: options.link } : {} });
  return {
    items: pagination.items(body),
    next: pagination.next({
      body,
      response,
      query: { ...options.query },
      url: "https://api.example.com/v1/list",
    }),
    pageSizeParam: pagination.pageSizeParam,
  };
}

describe("the presets' paging strategies", () => {
  it("campone(): `results`, and `next` as the next page's number (or a URL, as DRF sends it)", () => {
    const body = { results: [{ id: 1 }], page: 1, page_size: 200, total: 400, next: 2 };
    expect(page(campone(), body, { query: { page_size: 200, from: "2025-03-01" } })).toEqual({
      items: [{ id: 1 }],
      next: { page_size: 200, from: "2025-03-01", page: 2 },
      pageSizeParam: "page_size",
    });
    expect(page(campone(), { ...body, next: null }).next).toBeUndefined();
    expect(page(campone(), { ...body, next: "https://api.example.com/bookings?page=2" }).next).toBe(
      "https://api.example.com/bookings?page=2",
    );
    expect(page(campone(), { detail: "x" }).items).toBeUndefined();
  });

  it("boothzen(): `data`, and `next_cursor` back as `cursor` while `has_more`", () => {
    const body = { object: "list", data: [{ id: "bkg_000001" }], has_more: true, next_cursor: "bkg_000001" };
    expect(page(boothzen(), body, { query: { page_size: 200 } })).toEqual({
      items: [{ id: "bkg_000001" }],
      next: { page_size: 200, cursor: "bkg_000001" },
      pageSizeParam: "page_size",
    });
    expect(page(boothzen(), { ...body, has_more: false }).next).toBeUndefined();
    expect(page(boothzen(), { ...body, next_cursor: null }).next).toBeUndefined();
  });

  it("openai(): `data`, then `after` the last id while `has_more`, `limit` the page size", () => {
    const body = { object: "list", data: [{ id: "file-1" }, { id: "file-2" }], has_more: true };
    expect(page(openai(), body, { query: { limit: 100 } })).toEqual({
      items: body.data,
      next: { limit: 100, after: "file-2" },
      pageSizeParam: "limit",
    });
    expect(page(openai(), { ...body, last_id: "file-9" }).next).toEqual({ after: "file-9" });
    expect(page(openai(), { ...body, has_more: false }).next).toBeUndefined();
  });

  it("github() and ietf(): the Link header's rel=next; the body's array, or an object's one array", () => {
    const link = '<https://api.github.com/repos/a/b/issues?per_page=100&page=2>; rel="next"';
    expect(page(github(), [{ number: 1 }], { link })).toEqual({
      items: [{ number: 1 }],
      next: "https://api.github.com/repos/a/b/issues?per_page=100&page=2",
      pageSizeParam: "per_page",
    });
    // Search answers `{ total_count, incomplete_results, items }`.
    expect(page(github(), { total_count: 1, incomplete_results: false, items: [{ id: 7 }] }).items).toEqual([
      { id: 7 },
    ]);
    expect(page(github(), [1]).next).toBeUndefined();
    expect(page(ietf(), { data: [1], included: [2] }).items).toBeUndefined();
    expect(page(ietf(), [1, 2], { link }).pageSizeParam).toBe("page_size");
  });
});
