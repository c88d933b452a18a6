export { type BoothZenOptions, boothzen } from "./boothzen.js";
export { type CampOneOptions, campone } from "./campone.js";
export type { BackoffOptions, Dialect } from "./dialect.js";
export { type IetfOptions, ietf } from "./ietf.js";
