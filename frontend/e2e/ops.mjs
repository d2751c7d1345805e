// Browser scenarios of the NOC and SOC operations views: maintenance
// windows, notification channels, uptime and SLA reports, bulk alert
// closing, the rule library, indicator lists and event search. run.mjs calls opsScenarios with its
// runner and helpers.
import fs from "node:fs";

// localInput formats a time for <input type="datetime-local"> in the
// browser's zone (the suite's and the browser's are the same).
function localInput(d) {
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export async function opsScenarios({ scenario, logIn, view, check, gql, tokenOf, base, acme, acmeAdmin, sleep }) {
  const ingest = async (events) => {
    const r = await fetch(`${base}/ingest/events`, { method: "POST", headers: { Authorization: `Bearer ${acme.apiKey.secret}`, "Content-Type": "application/json" }, body: JSON.stringify(events) });
    check(r.status === 202, `ingest: ${r.status} ${await r.text()}`);
  };
  const field = (page, label) => page.locator(".field", { has: page.getByLabel(label, { exact: true }) }).locator(".field-error");

  await scenario("maintenance window created with a field error first, then ended", async (page) => {
    await logIn(page, acmeAdmin, "/maintenance");
    await page.getByRole("heading", { name: "Maintenance windows" }).waitFor();
    const name = `e2e window ${Date.now()}`;
    await page.getByLabel("Name").fill(name);
    const now = new Date();
    await page.getByLabel("Starts").fill(localInput(new Date(now.getTime() - 60_000)));
    await page.getByLabel("Ends").fill(localInput(new Date(now.getTime() - 3_600_000)));
    await page.getByRole("button", { name: "Create window" }).click();
    await field(page, "Ends").filter({ hasText: /after the start/ }).waitFor();
    await view(page, "maintenance-errors");
    await page.getByLabel("Ends").fill(localInput(new Date(now.getTime() + 3_600_000)));
    await page.getByRole("button", { name: "Create window" }).click();
    await page.getByRole("status").filter({ hasText: "created" }).waitFor();
    const row = page.getByTestId("maintenance-row").filter({ hasText: name });
    await row.getByText("active").waitFor();
    await view(page, "maintenance", { shot: true });
    await page.getByRole("button", { name: `End ${name}` }).click();
    await row.getByText("ended").waitFor();
  });

  await scenario("notification channel with a bad URL shows the message at the field", async (page) => {
    await logIn(page, acmeAdmin, "/channels");
    await page.getByRole("heading", { name: "Notification channels" }).waitFor();
    const name = `e2e hook ${Date.now()}`;
    await page.getByLabel("Name").fill(name);
    await page.getByLabel("Kind").selectOption("webhook");
    await page.getByLabel("Webhook URL").fill("ftp://nowhere");
    await page.getByLabel("Signing secret (16 to 256 bytes)").fill("a signing secret of the e2e suite");
    await page.getByRole("button", { name: "Create channel" }).click();
    await field(page, "Webhook URL").first().waitFor();
    await view(page, "channel-errors");
    await page.getByLabel("Webhook URL").fill("https://hooks.example.com/opsward");
    await page.getByRole("button", { name: "Create channel" }).click();
    await page.getByRole("status").filter({ hasText: "created" }).waitFor();
    await page.getByTestId("channel-row").filter({ hasText: name }).waitFor();
    check((await field(page, "Webhook URL").count()) === 0, "the URL's error stayed after the channel was created");
    await view(page, "channels", { shot: true });
  });

  await scenario("alerts bulk-closed with a classification", async (page) => {
    const token = await tokenOf(acmeAdmin);
    const open = await gql(token, `{ alerts(first: 100, where: { statusIn: [new, acknowledged] }) { edges { node { id } } } }`);
    for (const e of open.alerts.edges) await gql(token, `mutation($id: ID!) { closeAlert(id: $id, status: "closed_benign") { userErrors { message } } }`, { id: e.node.id });
    await logIn(page, acmeAdmin, "/alerts");
    await page.getByText("No alert.").waitFor();
    await ingest([
      {
        "@timestamp": new Date().toISOString(),
        message: "Accepted password for admin from 198.51.100.99 port 5123 ssh2",
        event: { kind: "event", category: ["authentication"], type: ["start"], outcome: "success" },
        user: { name: "admin" },
        host: { name: "e2e-bulk" },
        process: { name: "sshd" },
        source: { ip: "198.51.100.99" },
      },
    ]);
    const rows = page.getByTestId("alert-row");
    await rows.first().waitFor({ timeout: 30_000 });
    const n = await rows.count();
    for (let i = 0; i < n; i++) await rows.nth(i).getByRole("checkbox").check();
    await page.getByLabel("Classification").selectOption("closed_false_positive");
    await page.getByRole("button", { name: "Close", exact: true }).click();
    await page.getByRole("status").filter({ hasText: `${n} closed` }).waitFor();
    const after = await gql(token, `{ alerts(first: 100, where: { status: closed_false_positive }) { totalCount } }`);
    check(after.alerts.totalCount >= n, `closed as false positive: ${after.alerts.totalCount}, want at least ${n}`);
    await page.getByLabel("Status").selectOption("closed_false_positive");
    await rows.first().waitFor();
    await view(page, "alerts-closed");
  });

  await scenario("rule library: a Sigma rule imported, tested against a sample, disabled", async (page) => {
    await logIn(page, acmeAdmin, "/rules");
    await page.getByRole("heading", { name: "Rule library" }).waitFor();
    const marker = `e2e-${Date.now()}`;
    const title = `E2E marker rule ${marker}`;
    await page.getByLabel("Sigma rule (YAML)").fill("title: [unclosed\n");
    await page.getByRole("button", { name: "Import rule" }).click();
    await field(page, "Sigma rule (YAML)").first().waitFor();
    const yaml = `title: ${title}\nid: ${marker}\nstatus: test\nlevel: medium\nlogsource: {}\ndetection:\n  s:\n    note: ${marker}\n  condition: s\n`;
    await page.getByLabel("Sigma rule (YAML)").fill(yaml);
    await page.getByLabel("Sample event (a JSON object, or an array of them)").fill(JSON.stringify([{ note: "other" }, { note: marker }]));
    await page.getByRole("button", { name: "Test against the sample" }).click();
    await page.getByTestId("rule-test-result").filter({ hasText: "matches event 2 of 2" }).waitFor();
    await page.getByRole("button", { name: "Import rule" }).click();
    await page.getByRole("status").filter({ hasText: "Imported" }).waitFor();
    await page.getByLabel("Title contains").fill(marker);
    const row = page.getByTestId("rule-row").filter({ hasText: title });
    await row.waitFor();
    const box = row.getByRole("checkbox");
    check(await box.isChecked(), "the imported rule is not enabled");
    await view(page, "rules", { shot: true });
    await box.uncheck();
    await page.getByRole("status").filter({ hasText: "disabled" }).waitFor();
    await page.reload();
    await page.getByLabel("Title contains").fill(marker);
    await row.waitFor();
    check(!(await row.getByRole("checkbox").isChecked()), "the rule is enabled again after a reload");
  });

  await scenario("indicator list created, indicator refused then added, deleted", async (page) => {
    await logIn(page, acmeAdmin, "/indicators");
    await page.getByRole("heading", { name: "Indicator lists" }).waitFor();
    const list = `e2e intel ${Date.now()}`;
    await page.getByLabel("List name").fill(list);
    await page.getByLabel("List kind").selectOption("intel");
    await page.getByRole("button", { name: "Create list" }).click();
    await page.getByRole("status").filter({ hasText: "created" }).waitFor();
    await page.getByText("This list is empty.").waitFor();
    await page.getByLabel("Value").fill("not an indicator at all ###");
    await page.getByRole("button", { name: "Add indicator" }).click();
    await page.locator(".field-error").first().waitFor();
    await page.getByLabel("Value").fill("203.0.113.45");
    await page.getByRole("button", { name: "Add indicator" }).click();
    const row = page.getByTestId("indicator-row").filter({ hasText: "203.0.113.45" });
    await row.waitFor();
    await row.getByText("ipv4").waitFor();
    await view(page, "indicators", { shot: true });
    await page.getByRole("button", { name: "Delete 203.0.113.45" }).click();
    await page.getByText("This list is empty.").waitFor();
  });

  await scenario("events searched by text in a time range, paged", async (page) => {
    const marker = `e2esearch${Date.now()}`;
    const events = [];
    for (let i = 0; i < 3; i++) events.push({ "@timestamp": new Date(Date.now() - i * 1000).toISOString(), message: `${marker} line ${i}`, host: { name: "e2e-search" } });
    await ingest(events);
    await logIn(page, acmeAdmin, "/events");
    await page.getByRole("heading", { name: "Event search" }).waitFor();
    await page.getByLabel("Text").fill(marker);
    await page.getByLabel("Time range").selectOption("last hour");
    let found = 0;
    for (let i = 0; i < 30 && found < 3; i++) {
      await page.getByRole("button", { name: "Search" }).click();
      await page.getByTestId("event-count").waitFor();
      found = await page.getByTestId("event-row").count();
      if (found < 3) await sleep(500);
    }
    check(found === 3, `found ${found} events, want 3`);
    await page.getByTestId("event-row").filter({ hasText: `${marker} line 0` }).waitFor();
    await view(page, "events", { shot: true });
  });
  await scenario("uptime and SLA report: the CSV holds the numbers the page shows", async (page) => {
    await logIn(page, acmeAdmin, "/reports");
    await page.getByRole("heading", { name: "Uptime and SLA report" }).waitFor();
    await page.getByTestId("report-row").first().waitFor();
    const shown = await page.getByTestId("report-row").evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)));
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download this page as CSV" }).click()]);
    const text = fs.readFileSync(await download.path(), "utf8");
    const lines = text.trimEnd().split("\r\n");
    check(lines[0].startsWith("Tenant,Monitor,Uptime %"), `CSV header: ${lines[0]}`);
    const parse = (line) => [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].slice(0, -1).map((m) => (m[1].startsWith('"') ? m[1].slice(1, -1).replaceAll('""', '"') : m[1]));
    const got = lines.slice(1).map(parse);
    check(JSON.stringify(got) === JSON.stringify(shown), `CSV rows differ from the page:\n${JSON.stringify(got)}\n${JSON.stringify(shown)}`);
    await view(page, "reports", { shot: true });
  });
  await scenario("asset created after a field error; incident assigned and commented", async (page) => {
    await logIn(page, acmeAdmin, "/assets");
    await page.getByRole("heading", { name: "Assets" }).waitFor();
    await page.getByRole("button", { name: "Create asset" }).click();
    await field(page, "Asset name").first().waitFor();
    const name = `e2e asset ${Date.now()}`;
    await page.getByLabel("Asset name").fill(name);
    await page.getByLabel("Kind").selectOption("database");
    await page.getByLabel("Address").fill("db.acme.example");
    await page.getByRole("button", { name: "Create asset" }).click();
    await page.getByRole("status").filter({ hasText: "created" }).waitFor();
    await page.getByLabel("Filter assets by name").fill(name);
    await page.getByTestId("asset-row").filter({ hasText: name }).waitFor();
    await view(page, "assets", { shot: true });

    const token = await tokenOf(acmeAdmin);
    const d = await gql(token, `{ incidents(first: 1, where: { title: "Packet loss on the core switch uplink" }) { edges { node { id } } } }`);
    check(d.incidents.edges.length === 1, "the demonstration incident is missing");
    await page.goto(`${base}/incidents/${d.incidents.edges[0].node.id}`);
    await page.getByRole("button", { name: "Assign to me" }).click();
    await page.getByTestId("assignee").filter({ hasText: "assigned to you" }).waitFor();
    const note = `e2e comment ${Date.now()}`;
    await page.getByLabel("Comment").fill(note);
    await page.getByRole("button", { name: "Add comment" }).click();
    await page.locator(".timeline li").filter({ hasText: note }).waitFor();
    await page.locator(".timeline li").filter({ hasText: /assign/i }).first().waitFor();
    await view(page, "incident-assigned");
  });

  await scenario("playbooks and their runs", async (page) => {
    await logIn(page, acmeAdmin, "/playbooks");
    await page.getByRole("heading", { name: "Playbooks" }).waitFor();
    await page.getByRole("table", { name: "Playbook runs" }).waitFor();
    await page.locator("p.loading").waitFor({ state: "detached" });
    await view(page, "playbooks");
  });
  await scenario("a case page follows changes made elsewhere, live", async (page) => {
    const token = await tokenOf(acmeAdmin);
    const d = await gql(token, `mutation { createCase(input: { title: "e2e live case", severity: "low" }) { case { id } userErrors { message } } }`);
    const id = d.createCase.case.id;
    await logIn(page, acmeAdmin, `/cases/${id}`);
    await page.getByRole("heading", { name: "e2e live case" }).waitFor();
    await sleep(500); // the subscription's socket opens
    await gql(token, `mutation($id: ID!) { setCaseStatus(id: $id, status: "investigating") { userErrors { message } } }`, { id });
    await page.locator(".badge-investigating").waitFor({ timeout: 10_000 }); // no reload
  });
  await scenario("escalation policy refused without a target, then created", async (page) => {
    await logIn(page, acmeAdmin, "/escalations");
    await page.getByRole("heading", { name: "Escalation policies" }).waitFor();
    const name = `e2e policy ${Date.now()}`;
    await page.getByLabel("Policy name").fill(name);
    await page.getByRole("button", { name: "Create policy" }).click();
    await page.locator("form [role=alert]").first().waitFor();
    await view(page, "escalation-errors");
    await page.getByLabel(/Level 1: notify /).first().check();
    await page.getByRole("button", { name: "Create policy" }).click();
    await page.getByRole("status").filter({ hasText: "created" }).waitFor();
    await page.getByTestId("escalation-row").filter({ hasText: name }).getByText(/after 0 s: /).waitFor();
    await view(page, "escalations");
  });
}
