/**
 * CampOne's deterministic data: 12 sites, 600 customers and 3,000 bookings spread over 2025,
 * enough for the integrations the document's best practices describe ("Cache aggressively. Sites
 * and customer lists change slowly", "Use the date-range filters on bookings").
 */
import { between, DAY_MS, FIRST_NAMES, isoDate, isoDateTime, LAST_NAMES, pick } from "./index-hash.js";

export interface CampOneSite {
  id: number;
  name: string;
  region: string;
  pitches: number;
}

export interface CampOneCustomer {
  id: number;
  name: string;
  email: string;
  country: string;
}

export interface CampOneBooking {
  id: number;
  site_id: number;
  customer_id: number;
  /** First night, `YYYY-MM-DD`. The `from`/`to` filters apply to it. */
  arrival: string;
  /** Day of departure, `YYYY-MM-DD`, after `arrival`. */
  departure: string;
  guests: number;
  status: "confirmed" | "pending" | "cancelled";
  created_at: string;
}

export const CAMPONE_SITE_COUNT = 12;
export const CAMPONE_CUSTOMER_COUNT = 600;
export const CAMPONE_BOOKING_COUNT = 3_000;
const YEAR_START = Date.UTC(2025, 0, 1);

const SITE_NAMES = [
  "Pine Hollow",
  "Lakeside Meadow",
  "Red Rock Flats",
  "Birch Bay",
  "Eagle Ridge",
  "Willow Creek",
  "Sunset Dunes",
  "Fern Gully",
  "Harbour Point",
  "Moss Valley",
  "Granite Falls",
  "Cedar Grove",
] as const;
const REGIONS = ["north", "south", "east", "west"] as const;
const COUNTRIES = ["DE", "DK", "FR", "NL", "NO", "SE", "GB", "IT"] as const;

export interface CampOneFixtures {
  sites: readonly CampOneSite[];
  customers: readonly CampOneCustomer[];
  /** Ordered by `arrival`, then `id` (ids ascend with arrival). */
  bookings: readonly CampOneBooking[];
}

let fixtures: CampOneFixtures | undefined;

/** The fixtures, built on first use and shared (frozen) by every mock in the process. */
export function camponeFixtures(): CampOneFixtures {
  fixtures ??= Object.freeze({
    sites: Object.freeze(Array.from({ length: CAMPONE_SITE_COUNT }, (_, i) => Object.freeze(site(i)))),
    customers: Object.freeze(
      Array.from({ length: CAMPONE_CUSTOMER_COUNT }, (_, i) => Object.freeze(customer(i))),
    ),
    bookings: Object.freeze(
      Array.from({ length: CAMPONE_BOOKING_COUNT }, (_, i) => Object.freeze(booking(i))),
    ),
  });
  return fixtures;
}

function site(i: number): CampOneSite {
  return {
    id: i + 1,
    name: SITE_NAMES[i % SITE_NAMES.length] ?? `Site ${i + 1}`,
    region: pick(REGIONS, i, 1),
    pitches: between(i, 2, 20, 180),
  };
}

function customer(i: number): CampOneCustomer {
  const first = pick(FIRST_NAMES, i, 11);
  const last = pick(LAST_NAMES, i, 12);
  return {
    id: i + 1,
    name: `${first} ${last}`,
    email: `${first}.${last}.${i + 1}@example.com`.toLowerCase(),
    country: pick(COUNTRIES, i, 13),
  };
}

function booking(i: number): CampOneBooking {
  const arrival = YEAR_START + Math.floor((i * 365) / CAMPONE_BOOKING_COUNT) * DAY_MS;
  const nights = between(i, 21, 1, 7);
  const statusRoll = between(i, 22, 0, 19);
  return {
    id: i + 1,
    site_id: between(i, 23, 1, CAMPONE_SITE_COUNT),
    customer_id: between(i, 24, 1, CAMPONE_CUSTOMER_COUNT),
    arrival: isoDate(arrival),
    departure: isoDate(arrival + nights * DAY_MS),
    guests: between(i, 25, 1, 6),
    status: statusRoll < 2 ? "cancelled" : statusRoll < 3 ? "pending" : "confirmed",
    created_at: isoDateTime(arrival - between(i, 26, 1, 90) * DAY_MS - between(i, 27, 0, 86_399) * 1000),
  };
}
