import { useState } from "react";

export const PAGE = 25;

type PageInfo = { hasNextPage: boolean; endCursor?: string | null };

// usePages keeps the cursors of the pages seen so far, so that a list can
// go forward with the API's endCursor and back to where it was.
export function usePages() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors[cursors.length - 1];
  return {
    after,
    page: cursors.length,
    next: (info?: PageInfo | null) => info?.endCursor && setCursors((c) => [...c, info.endCursor ?? null]),
    prev: () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)),
    reset: () => setCursors([null]),
  };
}

export function Pager(props: { label: string; page: number; total?: number; info?: PageInfo | null; onPrev: () => void; onNext: () => void }) {
  return (
    <nav className="toolbar" aria-label={`${props.label} pages`}>
      <button type="button" disabled={props.page <= 1} onClick={props.onPrev}>
        Previous page
      </button>
      <span>
        Page {props.page}
        {props.total !== undefined && ` of ${Math.max(1, Math.ceil(props.total / PAGE))}`}
      </span>
      <button type="button" disabled={!props.info?.hasNextPage} onClick={props.onNext}>
        Next page
      </button>
    </nav>
  );
}
