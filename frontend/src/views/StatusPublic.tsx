import { useEffect, useState } from "react";
import { useParams } from "react-router";
import { UptimeBars } from "../UptimeBars";
import { Badge, NotFound, when } from "../ui";

type Page = {
  title: string;
  days: string[];
  updatedAt: string;
  monitors: { name: string; status: string; uptime: (number | null)[] }[];
  incidents: { title: string; monitor: string; status: string; openedAt: string; resolvedAt?: string }[];
};

// The public status page: no login, no GraphQL, only what the tenant
// published (GET /public/status/{slug}).
export default function StatusPublic() {
  const { slug = "" } = useParams();
  const [page, setPage] = useState<Page | null>(null);
  const [state, setState] = useState<"loading" | "ok" | "missing" | "down">("loading");
  useEffect(() => {
    let stop = false;
    const load = async () => {
      try {
        const r = await fetch(`/public/status/${encodeURIComponent(slug)}`);
        if (stop) return;
        if (r.status === 404) return setState("missing");
        if (!r.ok) return setState("down");
        setPage(await r.json());
        setState("ok");
      } catch {
        if (!stop) setState("down");
      }
    };
    void load();
    const t = window.setInterval(() => void load(), 60_000);
    return () => {
      stop = true;
      window.clearInterval(t);
    };
  }, [slug]);
  if (state === "missing") return <main id="main"><NotFound /></main>;
  if (!page) return <main id="main"><p className="loading">{state === "down" ? "The status page cannot be reached." : "Loading…"}</p></main>;
  const allUp = page.monitors.every((m) => m.status === "up");
  return (
    <div className="status-page">
      <header>
        <h1>{page.title}</h1>
        <p>{allUp ? "All systems operational" : "Some systems are having problems"}</p>
      </header>
      <main id="main">
        {state === "down" && <p className="banner" role="alert">The status page cannot be refreshed; what you see may be out of date.</p>}
        {page.monitors.map((m) => (
          <section className="status-monitor" key={m.name} aria-label={m.name}>
            <h2>
              {m.name} <Badge value={m.status} />
            </h2>
            <UptimeBars label={`${m.name} uptime`} days={page.days.map((d, i) => ({ day: d, percent: m.uptime[i] }))} />
          </section>
        ))}
        <h2>Incidents</h2>
        {page.incidents.length === 0 && <p>No incident in the last {page.days.length} days.</p>}
        <ul>
          {page.incidents.map((i) => (
            <li key={i.openedAt + i.title}>
              <strong>{i.title}</strong> ({i.monitor}) <Badge value={i.status} /> opened {when(i.openedAt)}
              {i.resolvedAt && <>, resolved {when(i.resolvedAt)}</>}
            </li>
          ))}
        </ul>
        <p className="muted">Updated {when(page.updatedAt)}</p>
      </main>
    </div>
  );
}
