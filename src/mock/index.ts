/**
 * `pacekeeper/mock`: mock servers of the CampOne and BoothZen APIs, faithful to their documents,
 * for testing integrations. Three fronts over one implementation per dialect: `createMockApi`
 * (Fetch API Request → Response), `createMockHandlers` (msw), `startMockServer` (node:http); and the
 * `pacekeeper-mock` CLI. See https://github.com/pacekeeper/pacekeeper/blob/main/docs/mock-servers.md
 */
export { createMockApi } from "./api.js";
export type { BoothZenList } from "./boothzen.js";
export type { BoothZenBooking } from "./boothzen-data.js";
export type { CampOnePage } from "./campone.js";
export type { CampOneBooking, CampOneCustomer, CampOneSite } from "./campone-data.js";
export { MOCK_FAULTS } from "./faults.js";
export { createMockHandlers } from "./msw.js";
export { startMockServer } from "./server.js";
export type {
  AuditEntry,
  AuditFilter,
  CountingModel,
  MockApi,
  MockApiOptions,
  MockClock,
  MockDialect,
  MockFault,
  MockFaultOptions,
  MockHandlers,
  MockHandlersOptions,
  MockKeyOptions,
  MockServer,
  MockServerOptions,
} from "./types.js";
// Not exported: the counting models, option resolution and the fixture builders; they are internal and may change.
