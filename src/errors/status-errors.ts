import { registerErrorClass } from "./brand.js";
import { HttpError } from "./http-error.js";

/** 401 Unauthorized: the API key is missing, wrong or revoked. Retrying will not help. */
export class AuthenticationError extends HttpError {
  static {
    registerErrorClass(AuthenticationError, "AuthenticationError");
  }
  override readonly name = "AuthenticationError" as const;
  override readonly code = "authentication_failed" as const;
}

/** 403 Forbidden: the key is valid but lacks the scope or permission for this request. */
export class PermissionError extends HttpError {
  static {
    registerErrorClass(PermissionError, "PermissionError");
  }
  override readonly name = "PermissionError" as const;
  override readonly code = "permission_denied" as const;
}

/** 404 Not Found. */
export class NotFoundError extends HttpError {
  static {
    registerErrorClass(NotFoundError, "NotFoundError");
  }
  override readonly name = "NotFoundError" as const;
  override readonly code = "not_found" as const;
}

/** Any other 4xx, 408 Request Timeout included: the server rejected the request as sent. */
export class ClientError extends HttpError {
  static {
    registerErrorClass(ClientError, "ClientError");
  }
  override readonly name = "ClientError" as const;
  override readonly code = "client_error" as const;
}

/** 5xx: the server failed. Retried only for idempotent requests (or with an idempotency key). */
export class ServerError extends HttpError {
  static {
    registerErrorClass(ServerError, "ServerError");
  }
  override readonly name = "ServerError" as const;
  override readonly code = "server_error" as const;
}
