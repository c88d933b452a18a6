// `pacekeeper/testing`: what a user's own tests need from the client side. A virtual clock makes
// every wait of a client (pacing, backoff, timeouts) run in virtual time, deterministically.
export { createVirtualClock, type VirtualClock } from "../clock/virtual-clock.js";
