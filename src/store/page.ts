/** One page of a keyset-paged list: the items and the cursor of the next page (null: the last page). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
