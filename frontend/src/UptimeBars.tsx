// UptimeBars draws one bar per day, coloured by that day's uptime.
export type Day = { day: string; percent: number | null };

function colour(p: number | null): string {
  if (p === null) return "nodata";
  if (p >= 99.9) return "up";
  if (p >= 99) return "degraded";
  return "down";
}

export function UptimeBars({ days, label }: { days: Day[]; label: string }) {
  const known = days.filter((d) => d.percent !== null);
  const avg = known.length ? known.reduce((a, d) => a + (d.percent ?? 0), 0) / known.length : null;
  return (
    <figure className="bars">
      <div className="bar-row" role="img" aria-label={`${label}: ${avg === null ? "no data" : `${avg.toFixed(2)}% over ${days.length} days`}`}>
        {days.map((d) => (
          <span key={d.day} className={`bar bar-${colour(d.percent)}`} title={`${d.day}: ${d.percent === null ? "no data" : `${d.percent.toFixed(2)}%`}`} />
        ))}
      </div>
      <figcaption>
        {days.length} days · {avg === null ? "no data" : `${avg.toFixed(2)}% uptime`}
      </figcaption>
    </figure>
  );
}

// dayRanges are the last n UTC days, oldest first.
export function dayRanges(n: number): { day: string; from: string; to: string }[] {
  const out = [];
  const today = new Date();
  today.setUTCHours(0, 0, 0, 0);
  for (let i = n - 1; i >= 0; i--) {
    const from = new Date(today.getTime() - i * 86400_000);
    const to = new Date(from.getTime() + 86400_000);
    out.push({ day: from.toISOString().slice(0, 10), from: from.toISOString(), to: to.toISOString() });
  }
  return out;
}
