import { linkTarget } from "../headers/link.js";
import { itemsOf, type Pagination } from "./pagination.js";

/**
 * Paging by RFC 8288 `Link` headers (`<…?page=2>; rel="next"`), as GitHub and most REST APIs
 * page: the next page is the target of the `next` link, resolved against the page's URL; no such
 * link, no next page. The items are the body when it is an array, or the one array of an object
 * body (`itemsOf`).
 *
 * The strategy of `ietf()`, `github()`, and of any dialect that names none.
 *
 * @param pageSizeParam the query parameter that sets a page's size, sent at the dialect's
 *   `maxPageSize` on the first page (the links carry it on)
 */
export function linkPagination(pageSizeParam?: string): Pagination {
  return {
    pageSizeParam,
    items: itemsOf,
    next: ({ response }) => linkTarget(response.headers.get("link"), "next"),
  };
}
