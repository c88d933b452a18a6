import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { boothZenErrorBody, campOneErrorBody } from "../../src/dialects/error-bodies.js";
import {
  type ErrorBodyParser,
  genericErrorBody,
  MAX_ERROR_BODY_BYTES,
  type ParsedErrorBody,
  parseJsonSafely,
} from "../../src/errors/error-body.js";

const parsers: [string, ErrorBodyParser][] = [
  ["campOneErrorBody", campOneErrorBody],
  ["boothZenErrorBody", boothZenErrorBody],
  ["genericErrorBody", genericErrorBody],
];

/** The bodies exactly as the API documents print them. */
const CAMPONE_429 = '{ "detail": "Request was throttled. Expected available in 600 seconds." }';
const BOOTHZEN_429 = `{
  "error": {
    "type": "rate_limit_error",
    "code": "rate_limit_exceeded",
    "message": "Rate limit exceeded. Retry after 14 seconds.",
    "request_id": "req_01HX9KAVD3JZ7P4M2N5Q6R8T9V"
  }
}`;

function expectWellFormed(body: ParsedErrorBody | undefined): void {
  if (body === undefined) return;
  expect(typeof body.message).toBe("string");
  for (const field of ["code", "type", "requestId"] as const) {
    expect(["string", "undefined"]).toContain(typeof body[field]);
  }
  expect(body.raw).not.toBe(undefined);
}

describe("campOneErrorBody", () => {
  it("parses the documented 429 body", () => {
    expect(campOneErrorBody(CAMPONE_429)).toEqual({
      message: "Request was throttled. Expected available in 600 seconds.",
      raw: { detail: "Request was throttled. Expected available in 600 seconds." },
    });
  });

  it("parses DRF-style field errors into one message", () => {
    const body = campOneErrorBody(
      JSON.stringify({
        page_size: ["Ensure this value is less than or equal to 200."],
        non_field_errors: ["Dates overlap."],
      }),
    );
    expect(body?.message).toBe("page_size: Ensure this value is less than or equal to 200.; Dates overlap.");
  });

  it("rejects bodies that are not CampOne's", () => {
    expect(campOneErrorBody(BOOTHZEN_429)).toBeUndefined();
    expect(campOneErrorBody('{"detail": 5}')).toBeUndefined();
    expect(campOneErrorBody('{"field": "not a list"}')).toBeUndefined();
    expect(campOneErrorBody("{}")).toBeUndefined();
    expect(campOneErrorBody("<html>502 Bad Gateway</html>")).toBeUndefined();
    expect(campOneErrorBody("")).toBeUndefined();
  });
});

describe("boothZenErrorBody", () => {
  it("parses the documented 429 body", () => {
    const body = boothZenErrorBody(BOOTHZEN_429);
    expect(body).toMatchObject({
      message: "Rate limit exceeded. Retry after 14 seconds.",
      code: "rate_limit_exceeded",
      type: "rate_limit_error",
      requestId: "req_01HX9KAVD3JZ7P4M2N5Q6R8T9V",
    });
    expect(body?.raw).toEqual(JSON.parse(BOOTHZEN_429));
  });

  it("accepts a body without request_id (X-Request-Id carries it too)", () => {
    const body = boothZenErrorBody(
      '{"error":{"type":"invalid_request_error","code":"bad_date","message":"x"}}',
    );
    expect(body).toMatchObject({ message: "x", code: "bad_date", type: "invalid_request_error" });
    expect(body?.requestId).toBeUndefined();
  });

  it("rejects bodies that are not BoothZen's envelope", () => {
    expect(boothZenErrorBody(CAMPONE_429)).toBeUndefined();
    expect(boothZenErrorBody('{"error":{"message":"no type nor code"}}')).toBeUndefined();
    expect(boothZenErrorBody('{"error":"rate_limited"}')).toBeUndefined();
    expect(boothZenErrorBody("null")).toBeUndefined();
    expect(boothZenErrorBody("[1,2]")).toBeUndefined();
  });
});

describe("genericErrorBody", () => {
  it.each([
    ["CampOne", CAMPONE_429, { message: "Request was throttled. Expected available in 600 seconds." }],
    [
      "BoothZen",
      BOOTHZEN_429,
      { message: "Rate limit exceeded. Retry after 14 seconds.", code: "rate_limit_exceeded" },
    ],
    [
      "RFC 9457 problem+json",
      '{"type":"https://example.com/probs/out-of-credit","title":"You do not have enough credit.","status":403,"detail":"Your current balance is 30, but that costs 50."}',
      {
        message: "Your current balance is 30, but that costs 50.",
        type: "https://example.com/probs/out-of-credit",
      },
    ],
    ["problem+json with a title only", '{"title":"Not Found","status":404}', { message: "Not Found" }],
    ["{error: string}", '{"error":"Something broke"}', { message: "Something broke" }],
    [
      "OAuth {error, error_description}",
      '{"error":"invalid_token","error_description":"The access token expired"}',
      { message: "The access token expired", code: "invalid_token" },
    ],
    [
      "{error: {message}} with a numeric code",
      '{"error":{"message":"gone","code":404}}',
      { message: "gone", code: "404" },
    ],
    [
      "{message}",
      '{"message":"Bad thing","code":"E42","request_id":"r1"}',
      { message: "Bad thing", code: "E42", requestId: "r1" },
    ],
    ["{errors: [...]}", '{"errors":[{"message":"first"},{"message":"second"}]}', { message: "first" }],
  ])("parses %s", (_label, text, expected) => {
    const body = genericErrorBody(text);
    expect(body).toMatchObject(expected);
    expectWellFormed(body);
  });

  it("ignores wrongly typed optional fields instead of rejecting the body", () => {
    expect(genericErrorBody('{"message":"m","code":{"x":1},"type":[]}')).toEqual({
      message: "m",
      raw: { message: "m", code: { x: 1 }, type: [] },
    });
  });

  it.each([
    "",
    "not json",
    "<html></html>",
    "42",
    '"a string"',
    "null",
    "[]",
    "{}",
    '{"foo":"bar"}',
    '{"error":5}',
  ])("returns undefined for %j", (text) => {
    expect(genericErrorBody(text)).toBeUndefined();
  });
});

describe("parseJsonSafely", () => {
  it("ignores bodies over 64 KiB, counted in UTF-8 bytes", () => {
    const padding = (bytes: number, char: string) => `{"message":"${char.repeat(bytes)}"}`;
    const overhead = padding(0, "x").length;
    expect(parseJsonSafely(padding(MAX_ERROR_BODY_BYTES - overhead, "x"))).toBeDefined();
    expect(parseJsonSafely(padding(MAX_ERROR_BODY_BYTES - overhead + 1, "x"))).toBeUndefined();
    // "é" is one UTF-16 unit but two UTF-8 bytes: 40,000 of them are 80,000 bytes.
    expect(parseJsonSafely(padding(40_000, "é"))).toBeUndefined();
    for (const [, parse] of parsers) {
      expect(parse(`{"detail":"${"x".repeat(70_000)}","message":"m"}`)).toBeUndefined();
    }
  });

  it("never throws on hostile input: deep nesting, lone surrogates, non-strings", () => {
    const deep = `${"[".repeat(30_000)}${"]".repeat(30_000)}`;
    expect(() => parseJsonSafely(deep)).not.toThrow();
    expect(() => parseJsonSafely('{"a":"\\ud800"}')).not.toThrow();
    expect(parseJsonSafely(undefined)).toBeUndefined();
    expect(parseJsonSafely(42)).toBeUndefined();
    for (const [, parse] of parsers) {
      expect(() => parse(deep)).not.toThrow();
      expect(() => parse(null as unknown as string)).not.toThrow();
    }
  });
});

describe("hostile JSON reaches no prototype", () => {
  const snapshot = () => Object.getOwnPropertyNames(Object.prototype).sort();
  const before = snapshot();

  afterEach(() => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(snapshot()).toEqual(before);
  });

  const hostile = [
    '{"__proto__":{"polluted":true},"detail":"x"}',
    '{"constructor":{"prototype":{"polluted":true}},"message":"x"}',
    '{"error":{"__proto__":{"polluted":true},"type":"t","code":"c","message":"m","request_id":"r"}}',
    '{"error":{"message":"m","constructor":{"prototype":{"polluted":true}}}}',
    '{"a":[{"__proto__":{"polluted":true}}],"message":"m"}',
    '{"prototype":{"polluted":true},"title":"t"}',
  ];

  it.each(hostile)("%s", (text) => {
    for (const [, parse] of parsers) {
      const body = parse(text);
      if (body !== undefined) {
        // The keys are gone at every depth, and what is left is safe to merge anywhere.
        const serialized = JSON.stringify(body.raw);
        expect(serialized).not.toContain("__proto__");
        expect(serialized).not.toContain("constructor");
        expect(serialized).not.toContain("prototype");
        expect(serialized).not.toContain("polluted");
        const merged = Object.assign({}, body.raw);
        expect((merged as Record<string, unknown>).polluted).toBeUndefined();
      }
    }
    const raw = parseJsonSafely(text) as Record<string, unknown>;
    expect(Object.getPrototypeOf(raw)).toBe(Object.prototype);
    expect(Object.hasOwn(raw, "__proto__")).toBe(false);
    expect(raw.polluted).toBeUndefined();
  });

  it("keeps a message that happens to name the keys", () => {
    expect(genericErrorBody('{"message":"__proto__ is not allowed"}')?.message).toBe(
      "__proto__ is not allowed",
    );
  });

  it("holds for arbitrary JSON with hostile keys mixed in", () => {
    const hostileKey = fc.constantFrom("__proto__", "constructor", "prototype");
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        fc.jsonValue({ maxDepth: 1 }),
        fc.array(tie("node"), { maxLength: 3 }),
        fc.dictionary(fc.oneof(hostileKey, fc.string()), tie("node"), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, hostileKey, (tree, key) => {
        const text = `{"${key}":{"polluted":true},"message":"m","nested":${JSON.stringify(tree)}}`;
        for (const [, parse] of parsers) expectWellFormed(parse(text));
        const raw = JSON.stringify(parseJsonSafely(text));
        expect(raw).not.toMatch(/"(__proto__|constructor|prototype)":/);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});

describe("fuzz: parsers never throw and return a well-formed body or undefined", () => {
  it.each(parsers)("%s on arbitrary strings", (_name, parse) => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (text) => {
        expectWellFormed(parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it.each(parsers)("%s on arbitrary JSON", (_name, parse) => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expectWellFormed(parse(JSON.stringify(value)));
      }),
      { numRuns: 500 },
    );
  });

  it.each(parsers)("%s on envelopes with arbitrary field values", (_name, parse) => {
    const anyValue = fc.jsonValue({ maxDepth: 2 });
    const envelope = fc.oneof(
      fc.record({ detail: anyValue }),
      fc.record({
        error: fc.record({ type: anyValue, code: anyValue, message: anyValue, request_id: anyValue }),
      }),
      fc.record({ error: anyValue, error_description: anyValue }),
      fc.record(
        { type: anyValue, title: anyValue, status: anyValue, detail: anyValue },
        { requiredKeys: [] },
      ),
      fc.record({ errors: fc.array(anyValue) }),
      fc.record({ message: anyValue, code: anyValue }),
    );
    fc.assert(
      fc.property(envelope, (value) => {
        expectWellFormed(parse(JSON.stringify(value)));
      }),
      { numRuns: 500 },
    );
  });
});
