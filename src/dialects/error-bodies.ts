import { z } from "zod";
import { type ErrorBodyParser, optionalText, parsedBody, parseJsonSafely } from "../errors/error-body.js";

/** The error bodies of the two documented APIs, parsed with zod into `ParsedErrorBody`. Never throw. */

// ---- CampOne ------------------------------------------------------------------------------

/** CampOne's 429 (and other errors): `{ "detail": "Request was throttled. Expected available in 600 seconds." }`. */
export const CampOneErrorBodySchema = z.object({ detail: z.string() });

/**
 * CampOne speaks Django REST Framework (its throttling message is DRF's, word for word), whose
 * 400s list messages per field: `{ "page_size": ["Ensure this value is less than or equal to 200."] }`.
 * An inference from the dialect, not a documented shape; only this flat form is accepted.
 */
export const CampOneFieldErrorsSchema = z
  .record(z.string(), z.array(z.string()).min(1))
  .refine((fields) => Object.keys(fields).length > 0);

export const campOneErrorBody: ErrorBodyParser = (bodyText) => {
  const raw = parseJsonSafely(bodyText);
  const detail = CampOneErrorBodySchema.safeParse(raw);
  if (detail.success) return parsedBody(raw, { message: detail.data.detail });
  const fields = CampOneFieldErrorsSchema.safeParse(raw);
  if (!fields.success) return undefined;
  const message = Object.entries(fields.data)
    .map(([field, messages]) =>
      field === "non_field_errors" ? messages.join(" ") : `${field}: ${messages.join(" ")}`,
    )
    .join("; ");
  return parsedBody(raw, { message });
};

// ---- BoothZen -----------------------------------------------------------------------------

/**
 * BoothZen: `{ "error": { "type", "code", "message", "request_id" } }`. `request_id` may be
 * missing (the `X-Request-Id` header carries it too); the other three are required.
 */
export const BoothZenErrorBodySchema = z.object({
  error: z.object({
    type: z.string(),
    code: z.string(),
    message: z.string(),
    request_id: optionalText,
  }),
});

export const boothZenErrorBody: ErrorBodyParser = (bodyText) => {
  const raw = parseJsonSafely(bodyText);
  const result = BoothZenErrorBodySchema.safeParse(raw);
  if (!result.success) return undefined;
  const { type, code, message, request_id } = result.data.error;
  return parsedBody(raw, { message, code, type, requestId: request_id });
};
