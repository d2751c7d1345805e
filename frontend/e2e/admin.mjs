// The administration, billing and compliance scenarios of the portal's
// end-to-end suite; run.mjs passes its runner and helpers.
import fs from "node:fs";

export async function adminScenarios({ scenario, logIn, view, check, gql, api, tokenOf, base, owner, acme, acmeAdmin }) {
  // A download's bytes, from the browser's download event.
  async function downloaded(page, click) {
    const [d] = await Promise.all([page.waitForEvent("download"), click()]);
    return fs.readFileSync(await d.path());
  }

  await scenario("admin: customer created, suspended and resumed; user invited through the portal accepts", async (page) => {
    await logIn(page, owner, "/admin/customers");
    await page.getByRole("heading", { name: "Customers" }).waitFor();
    await page.getByRole("button", { name: "Create" }).click();
    await page.locator("#tenant-slug-error").waitFor();
    await view(page, "admin-customers");
    await page.getByLabel("Name").fill("Initech");
    await page.getByLabel("Slug").fill("initech-e2e");
    await page.getByLabel("Contact email").fill("it@initech.example");
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByRole("status").filter({ hasText: "Initech created." }).waitFor();
    await page.getByRole("button", { name: "Suspend Initech" }).click();
    await page.getByRole("button", { name: "Resume Initech" }).waitFor();
    await page.getByRole("button", { name: "Resume Initech" }).click();
    await page.getByRole("button", { name: "Suspend Initech" }).waitFor();

    await logIn(page, acmeAdmin, "/admin/team");
    await page.getByRole("heading", { name: "Members" }).waitFor();
    await page.getByRole("button", { name: "Invite" }).click();
    await page.locator("#invite-email-error").waitFor();
    await page.getByLabel("Email", { exact: true }).fill("e2e.admin-invite@acme.example");
    await page.getByLabel("Role", { exact: true }).selectOption("viewer");
    await page.getByRole("button", { name: "Invite" }).click();
    const link = await page.getByTestId("invitation-link").innerText();
    await view(page, "admin-team");
    const ctx = await page.context().browser().newContext();
    const p2 = await ctx.newPage();
    await p2.goto(link);
    await p2.getByLabel("Your name").fill("Invited Viewer");
    await p2.getByLabel("Password (new, or your existing account's)").fill("E2E-invited-passphrase-42");
    await p2.getByRole("button", { name: "Accept" }).click();
    await p2.getByRole("heading", { name: "Welcome" }).waitFor();
    await ctx.close();
    await page.reload();
    await page.getByRole("cell", { name: "e2e.admin-invite@acme.example", exact: true }).waitFor();
    await page.getByLabel("Role of e2e.admin-invite@acme.example").selectOption("analyst");
    await page.getByRole("status").filter({ hasText: "Role of e2e.admin-invite@acme.example changed." }).waitFor();
  });

  await scenario("admin: pending invitations listed, one revoked, its link refused after", async (page) => {
    await logIn(page, acmeAdmin, "/admin/team");
    await page.getByRole("heading", { name: "Pending invitations" }).waitFor();
    await page.getByLabel("Email", { exact: true }).fill("e2e.revoked@acme.example");
    await page.getByLabel("Role", { exact: true }).selectOption("analyst");
    await page.getByRole("button", { name: "Invite", exact: true }).click();
    const link = await page.getByTestId("invitation-link").innerText();
    const pending = page.getByRole("table", { name: "Pending invitations" });
    const row = pending.getByRole("row").filter({ hasText: "e2e.revoked@acme.example" });
    await row.waitFor(); // listed without a reload
    check((await row.innerText()).includes("analyst"), `the pending row lacks its role: ${await row.innerText()}`);
    await view(page, "admin-invitations");
    await page.getByRole("button", { name: "Revoke invitation for e2e.revoked@acme.example" }).click();
    await page.getByRole("status").filter({ hasText: "Invitation for e2e.revoked@acme.example revoked." }).waitFor();
    await row.waitFor({ state: "detached" });
    const token = decodeURIComponent(link.split("#token=")[1]);
    const r = await api("/graphql", {
      query: `mutation($in: AcceptInvitationInput!) { acceptInvitation(input: $in) { membership { id } userErrors { field message } } }`,
      variables: { in: { token, name: "Too Late", password: "E2E-revoked-passphrase-42" } },
    });
    const p = r.body.data?.acceptInvitation;
    check(p && !p.membership && p.userErrors.some((e) => /revoked/.test(e.message)), `a revoked invitation was accepted: ${JSON.stringify(r.body)}`);
    // Revoked ones stay in the audit log.
    await page.goto(`${base}/admin/audit`);
    await page.getByText("member.invite.revoke").first().waitFor();
  });

  await scenario("admin: API key created (secret once) and revoked, refused after; audit log shows both", async (page) => {
    await logIn(page, acmeAdmin, "/admin/team");
    await page.getByRole("heading", { name: "API keys", exact: true }).waitFor();
    await page.getByLabel("Key name").fill("e2e reader");
    await page.getByRole("button", { name: "Create key" }).click();
    const secret = await page.getByTestId("api-key-secret").innerText();
    const q = { query: "{ viewer { actingTenant { id } } }" };
    const ok = await api("/graphql", q, { Authorization: `Bearer ${secret}` });
    check(ok.status === 200 && !ok.body.errors, `the new key is refused: ${ok.status} ${JSON.stringify(ok.body)}`);
    await page.getByRole("button", { name: "Revoke e2e reader" }).click();
    await page.getByRole("cell", { name: /revoked/ }).waitFor();
    const bad = await api("/graphql", q, { Authorization: `Bearer ${secret}` });
    check(bad.status === 401 || bad.body?.errors?.length, `the revoked key still works: ${bad.status}`);

    await page.getByRole("link", { name: "Audit" }).click();
    await page.getByRole("heading", { name: "Audit log" }).waitFor();
    await page.getByRole("cell", { name: "apikey.revoke" }).first().waitFor();
    await page.getByLabel("Action").fill("apikey.create");
    await page.getByRole("button", { name: "Filter" }).click();
    // The unfiltered list already shows apikey.create: wait for the
    // filtered answer (the revoke rows gone) before judging it.
    await page.getByRole("cell", { name: "apikey.revoke" }).first().waitFor({ state: "detached", timeout: 10_000 })
      .catch(() => { throw new Error("the action filter lets other actions through"); });
    await page.getByRole("cell", { name: "apikey.create" }).first().waitFor();
    await view(page, "admin-audit");
  });

  await scenario("billing: plan, usage and invoices of a customer; provider's price book and revenue", async (page) => {
    await logIn(page, acmeAdmin, "/billing");
    await page.getByRole("heading", { name: "Plan" }).waitFor();
    await page.getByRole("heading", { name: "Usage this period" }).waitFor();
    await page.getByRole("heading", { name: "Invoices" }).waitFor();
    // The usage history, read page by page: a chart, or the words for none.
    await page.getByRole("figure", { name: "Usage by day" }).or(page.getByText("No usage recorded in the last 30 days.")).waitFor();
    await view(page, "billing");
    await logIn(page, owner, "/billing");
    await page.getByRole("heading", { name: "Price book" }).waitFor();
    await page.getByRole("table", { name: /^Price book, [1-9]\d* versions$/ }).waitFor();
    await page.getByRole("heading", { name: "Revenue per customer" }).waitFor();
    await page.getByRole("heading", { name: "Plan", exact: true }).waitFor();
    const choices = await page.getByLabel("Price version").locator("option:not([disabled])").evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
    check(choices.length > 0, "no other price version to move to");
    await page.getByLabel("Price version").selectOption(choices[choices.length - 1]);
    await page.getByRole("status").filter({ hasText: "difference this period" }).waitFor();
    await view(page, "billing-provider");
    await page.getByRole("button", { name: "Change plan" }).click();
    await page.getByRole("status").filter({ hasText: "Plan changed." }).waitFor();
  });

  await scenario("compliance: posture, evidence file up and down, schedule, report generated and downloaded as PDF", async (page) => {
    await logIn(page, acmeAdmin, "/compliance");
    await page.getByRole("heading", { name: "Posture per framework" }).waitFor();
    await page.getByRole("button", { name: "Run the automated tests" }).click();
    await page.getByRole("status").filter({ hasText: "tests run." }).waitFor();
    const first = page.getByRole("button", { name: /^Details of / }).first();
    const label = await first.innerText();
    await first.click();
    await page.getByLabel("Attach a file").setInputFiles({ name: "policy.txt", mimeType: "text/plain", buffer: Buffer.from("access policy v1\n") });
    await page.getByRole("status").filter({ hasText: "policy.txt attached." }).waitFor();
    const back = await downloaded(page, () => page.getByRole("button", { name: "Download policy.txt" }).click());
    check(back.toString() === "access policy v1\n", `evidence came back as ${JSON.stringify(back.toString())}`);
    await view(page, "compliance-control");
    check(label.startsWith("Details of "), "no control");

    await page.getByLabel("Framework", { exact: true }).selectOption("iso27001");
    await page.getByLabel("Format").selectOption("pdf");
    await page.getByRole("button", { name: "Generate report" }).click();
    await page.getByRole("status").filter({ hasText: "Report generated." }).waitFor();
    const pdf = await downloaded(page, () => page.getByRole("button", { name: "Download iso27001 pdf report" }).first().click());
    check(pdf.subarray(0, 4).toString() === "%PDF", `the report starts with ${JSON.stringify(pdf.subarray(0, 8).toString())}`);

    await page.getByRole("group", { name: "Frameworks reported each month" }).getByRole("checkbox").first().check();
    await page.getByRole("button", { name: "Save schedule" }).click();
    await page.getByRole("status").filter({ hasText: "Schedule saved." }).waitFor();
    const token = await tokenOf(acmeAdmin);
    const d = await gql(token, "{ complianceReportSchedule { set frameworks } }");
    check(d.complianceReportSchedule.set && d.complianceReportSchedule.frameworks.length > 0, `schedule not saved: ${JSON.stringify(d)}`);
    await view(page, "compliance");
  });

  await scenario("account: password changed, other sessions ended, login with the new one", async (page) => {
    const token = await tokenOf(acmeAdmin);
    const inv = await gql(token, `mutation($in: InviteUserInput!) { inviteUser(input: $in) { token } }`, {
      in: { tenantId: acme.id, email: "e2e.password@acme.example", role: "viewer" },
    });
    const user = { email: "e2e.password@acme.example", password: "E2E-first-passphrase-42" };
    await gql(token, `mutation($in: AcceptInvitationInput!) { acceptInvitation(input: $in) { userErrors { message } } }`, {
      in: { token: inv.inviteUser.token, name: "Password Person", password: user.password },
    });
    const elsewhere = await api("/auth/login", { email: user.email, password: user.password });
    check(elsewhere.status === 200, `login elsewhere: ${elsewhere.status}`);
    await logIn(page, user, "/account");
    await page.getByLabel("Current password").fill("not-my-password");
    await page.getByLabel("New password").fill("E2E-second-passphrase-42");
    await page.getByRole("button", { name: "Change password" }).click();
    await page.locator("#current-password-error").waitFor();
    await page.getByLabel("Current password").fill(user.password);
    await page.getByLabel("New password").fill("short");
    await page.getByRole("button", { name: "Change password" }).click();
    await page.locator("#new-password-error").waitFor();
    await view(page, "account-password");
    await page.getByLabel("New password").fill("E2E-second-passphrase-42");
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByRole("status").filter({ hasText: "Password changed." }).waitFor();
    const refused = await api("/auth/refresh", { refreshToken: elsewhere.body.refreshToken });
    check(refused.status !== 200, `the other session survived: ${refused.status}`);
    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(/\/login/);
    await logIn(page, { ...user, password: "E2E-second-passphrase-42" }, "/account");
    await page.getByRole("heading", { name: "Account" }).waitFor();
  });
}
