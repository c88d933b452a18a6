import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Debian's nginx, where installed (`apt-get install nginx-light`, as `.ci/run` does). */
export function findNginx(): string | undefined {
  for (const candidate of ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]) {
    if (existsSync(candidate)) return candidate;
  }
  try {
    return execFileSync("sh", ["-c", "command -v nginx"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export interface NginxProcess {
  url: string;
  /** Stops nginx (its log flushed); resolves with the status of every request it answered, in order. */
  close(): Promise<number[]>;
}

/**
 * nginx in the foreground, as an unprivileged user, with `limit_req` on every location: `rate`
 * requests per second, `burst` in excess, refused with a bare 429 (no header says anything of the
 * limit). `nodelay` sends the burst at once; without it, nginx delays the excess to its rate.
 */
export async function startNginx(
  binary: string,
  options: { rate: number; burst: number; nodelay: boolean },
): Promise<NginxProcess> {
  const dir = mkdtempSync(join(tmpdir(), "pacekeeper-nginx-"));
  const port = await freePort();
  const log = join(dir, "access.log");
  writeFileSync(
    join(dir, "nginx.conf"),
    `
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  log_format statuses '$status';
  access_log ${log} statuses;
  limit_req_zone $binary_remote_addr zone=api:1m rate=${options.rate}r/s;
  server {
    listen 127.0.0.1:${port};
    location = /__ready { access_log off; return 204; }
    location / {
      limit_req zone=api burst=${options.burst}${options.nodelay ? " nodelay" : ""};
      limit_req_status 429;
      # A file, not \`return\`: \`return\` answers in the rewrite phase, before limit_req runs.
      root ${dir}/www;
      default_type application/json;
      try_files /ok.json =500;
    }
  }
}
`,
  );
  // Started as root, nginx's workers run as nobody: they must be able to read the file.
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, "www"));
  writeFileSync(join(dir, "www", "ok.json"), '{"ok":true}');
  const child: ChildProcess = spawn(binary, ["-p", dir, "-c", join(dir, "nginx.conf")], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  await waitForPort(port, child);
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      if (child.exitCode === null) {
        child.kill("SIGQUIT");
        await once(child, "exit");
      }
      const statuses = existsSync(log)
        ? readFileSync(log, "utf8")
            .split("\n")
            .filter((line) => line !== "")
            .map(Number)
        : [];
      rmSync(dir, { recursive: true, force: true });
      return statuses;
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}`);
    try {
      await fetch(`http://127.0.0.1:${port}/__ready`);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error("nginx did not start listening");
}
