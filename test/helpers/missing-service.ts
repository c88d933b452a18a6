/**
 * A service a test file needs (redis-server, nginx) is not installed. On a developer's machine its
 * tests are skipped and the file says so; where `PACEKEEPER_REQUIRE_SERVICES=1` (`.ci/run` sets it,
 * having installed them) the file fails instead, so that a skip never passes for a pass in CI.
 */
export function announceMissingService(service: string, file: string): void {
  if (process.env.PACEKEEPER_REQUIRE_SERVICES === "1") {
    throw new Error(`[${file}] ${service} is not installed, and PACEKEEPER_REQUIRE_SERVICES=1 requires it.`);
  }
  console.warn(`[${file}] ${service} is not installed: its tests are SKIPPED (.ci/run installs it).`);
}
