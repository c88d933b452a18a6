/** BoothZen's deterministic data: 40 booths and 2,000 bookings of them spread over 2025. */
import { between, DAY_MS, FIRST_NAMES, HOUR_MS, isoDateTime, LAST_NAMES, pick } from "./index-hash.js";

export interface BoothZenBooking {
  /** `bkg_` and a zero-padded sequence number; ids ascend in list order. */
  id: string;
  object: "booking";
  booth_id: string;
  customer_name: string;
  customer_email: string;
  starts_at: string;
  ends_at: string;
  status: "confirmed" | "pending" | "cancelled";
  amount_cents: number;
  currency: "EUR";
  created_at: string;
}

export const BOOTHZEN_BOOTH_COUNT = 40;
export const BOOTHZEN_BOOKING_COUNT = 2_000;
const YEAR_START = Date.UTC(2025, 0, 1);

/** `booth_001` … `booth_040`. */
export function boothId(index: number): string {
  return `booth_${String(index + 1).padStart(3, "0")}`;
}

/** `bkg_000001` for sequence number 1. */
export function bookingId(sequence: number): string {
  return `bkg_${String(sequence).padStart(6, "0")}`;
}

/** The sequence number of a booking id, or undefined when it is not one. */
export function bookingSequence(id: string): number | undefined {
  const match = /^bkg_(\d{6,15})$/.exec(id);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

let fixtures: readonly BoothZenBooking[] | undefined;

/** The fixture bookings in id order, built on first use and shared (frozen) by every mock in the process. */
export function boothzenFixtures(): readonly BoothZenBooking[] {
  fixtures ??= Object.freeze(
    Array.from({ length: BOOTHZEN_BOOKING_COUNT }, (_, i) => Object.freeze(booking(i))),
  );
  return fixtures;
}

function booking(i: number): BoothZenBooking {
  const startHour = Math.floor((i * 365 * 24) / BOOTHZEN_BOOKING_COUNT);
  const starts = YEAR_START + startHour * HOUR_MS;
  const days = between(i, 31, 1, 3);
  const first = pick(FIRST_NAMES, i, 32);
  const last = pick(LAST_NAMES, i, 33);
  const statusRoll = between(i, 34, 0, 19);
  return {
    id: bookingId(i + 1),
    object: "booking",
    booth_id: boothId(between(i, 35, 0, BOOTHZEN_BOOTH_COUNT - 1)),
    customer_name: `${first} ${last}`,
    customer_email: `${first}.${last}@example.com`.toLowerCase(),
    starts_at: isoDateTime(starts),
    ends_at: isoDateTime(starts + days * DAY_MS),
    status: statusRoll < 2 ? "cancelled" : statusRoll < 4 ? "pending" : "confirmed",
    amount_cents: between(i, 36, 20, 400) * 500,
    currency: "EUR",
    created_at: isoDateTime(starts - between(i, 37, 1, 120) * DAY_MS),
  };
}
