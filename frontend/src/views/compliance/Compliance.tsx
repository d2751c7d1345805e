import { useState } from "react";
import { useClient, useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { useViewer } from "../../Layout";
import { Badge, Field, QueryError, can, fieldErrors, when } from "../../ui";
import { saveBase64, toBase64 } from "../../files";

const ComplianceQuery = graphql(`
  query CompliancePage {
    complianceFrameworks { id name version requirements { id } }
    complianceControls { id title description requirements tests applicable justification status exceptions { id } }
    complianceExceptions { id controlId reason expiresAt createdAt }
    complianceRuns(first: 50) { id testId controlId status passed failed ranAt }
    complianceReports(first: 50) { id framework format from to size createdAt sha256 }
    complianceReportSchedule { frameworks channelIds set updatedAt }
    complianceEvidence { id controlId name size sha256 createdAt contentType }
  }
`);
const PostureQuery = graphql(`query CompliancePosture { compliancePosture { tenantId tenantName passing failing notApplicable notTested } }`);
const SetApplicability = graphql(`
  mutation ComplianceSetApplicability($input: ControlApplicabilityInput!) {
    setControlApplicability(input: $input) { control { id applicable justification status } userErrors { field message code } }
  }
`);
const AddException = graphql(`
  mutation ComplianceAddException($input: ComplianceExceptionInput!) {
    addComplianceException(input: $input) { exception { id } userErrors { field message code } }
  }
`);
const RunTests = graphql(`
  mutation ComplianceRunTests($from: Time!, $to: Time!) {
    runComplianceTests(from: $from, to: $to) { runs { id } userErrors { field message code } }
  }
`);
const Generate = graphql(`
  mutation ComplianceGenerate($input: GenerateComplianceReportInput!) {
    generateComplianceReport(input: $input) { report { id } userErrors { field message code } }
  }
`);
const ReportFile = graphql(`query ComplianceReportFile($id: ID!) { complianceReportFile(id: $id) { report { framework format } contentBase64 } }`);
const AddEvidence = graphql(`
  mutation ComplianceAddEvidence($controlId: String!, $name: String!, $contentType: String, $contentBase64: String!) {
    addComplianceEvidence(controlId: $controlId, name: $name, contentType: $contentType, contentBase64: $contentBase64) { evidence { id } userErrors { field message code } }
  }
`);
const EvidenceContent = graphql(`query ComplianceEvidenceContent($id: ID!) { complianceEvidenceContent(id: $id) { evidence { name contentType } contentBase64 } }`);
const SetSchedule = graphql(`
  mutation ComplianceSetSchedule($input: ComplianceReportScheduleInput!) {
    setComplianceReportSchedule(input: $input) { schedule { frameworks set } userErrors { field message code } }
  }
`);

const types: Record<string, string> = { pdf: "application/pdf", csv: "text/csv", json: "application/json" };
const day = 24 * 3600 * 1000;

// Compliance shows posture per framework, the controls with their status,
// applicability, evidence and exceptions, and the signed reports.
export default function Compliance() {
  const v = useViewer();
  const client = useClient();
  const write = can(v.permissions, "compliance:write");
  const [{ data, fetching, error }, reload] = useQuery({ query: ComplianceQuery });
  const [{ data: posture }] = useQuery({ query: PostureQuery, pause: v.actingKind !== "provider" });
  const [, setApplicability] = useMutation(SetApplicability);
  const [, addException] = useMutation(AddException);
  const [, runTests] = useMutation(RunTests);
  const [, generate] = useMutation(Generate);
  const [, addEvidence] = useMutation(AddEvidence);
  const [, setSchedule] = useMutation(SetSchedule);
  const [open, setOpen] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [msg, setMsg] = useState("");
  const [just, setJust] = useState("");
  const [exc, setExc] = useState({ reason: "", expiresAt: "" });
  const [rep, setRep] = useState({ framework: "iso27001", format: "pdf", days: "30" });
  const [sched, setSched] = useState<string[] | null>(null);
  const after = () => reload({ requestPolicy: "network-only" });
  const result = (errs: Record<string, string>, ok: string) => {
    setErrors(errs);
    if (!Object.keys(errs).length) setMsg(ok);
  };
  const errsOf = (r: { error?: { message: string }; data?: unknown }, ue?: readonly { field: string[]; message: string; code: string }[]) => {
    const e = fieldErrors(ue);
    if (r.error) e[""] = r.error.message;
    return e;
  };

  if (error) return <section><h1>Compliance</h1><QueryError error={error} /></section>;
  if (fetching && !data) return <p className="loading">Loading…</p>;
  if (!data) return null;
  const controls = data.complianceControls;
  const ctl = controls.find((c) => c.id === open);
  const schedule = sched ?? data.complianceReportSchedule.frameworks;

  return (
    <section>
      <h1>Compliance</h1>
      {msg && <p role="status">{msg}</p>}
      {errors[""] && <p className="error" role="alert">{errors[""]}</p>}
      <h2>Posture per framework</h2>
      <table>
        <thead><tr><th scope="col">Framework</th><th scope="col">Passing</th><th scope="col">Failing</th><th scope="col">Not tested</th><th scope="col">Not applicable</th></tr></thead>
        <tbody>
          {data.complianceFrameworks.map((f) => {
            const reqs = new Set(f.requirements.map((r) => r.id));
            const mine = controls.filter((c) => c.requirements.some((r) => reqs.has(r) || reqs.has(r.replace(/^[^:]+:/, ""))));
            const n = (s: string) => mine.filter((c) => c.status === s).length;
            return (
              <tr key={f.id}>
                <th scope="row">{f.name} {f.version}</th>
                <td>{n("passing")}</td><td>{n("failing")}</td><td>{n("not_tested")}</td><td>{n("not_applicable")}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {posture && (
        <>
          <h2>Customers</h2>
          <table>
            <thead><tr><th scope="col">Customer</th><th scope="col">Passing</th><th scope="col">Failing</th><th scope="col">Not tested</th><th scope="col">Not applicable</th></tr></thead>
            <tbody>
              {posture.compliancePosture.map((p) => (
                <tr key={p.tenantId}><th scope="row">{p.tenantName}</th><td>{p.passing}</td><td>{p.failing}</td><td>{p.notTested}</td><td>{p.notApplicable}</td></tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {write && (
        <button
          type="button"
          onClick={() => {
            const to = new Date();
            void runTests({ from: new Date(to.getTime() - 30 * day).toISOString(), to: to.toISOString() }).then((r) => {
              result(errsOf(r, r.data?.runComplianceTests.userErrors), `${r.data?.runComplianceTests.runs.length ?? 0} tests run.`);
              after();
            });
          }}
        >
          Run the automated tests
        </button>
      )}
      <h2>Controls</h2>
      <table>
        <thead><tr><th scope="col">Control</th><th scope="col">Status</th><th scope="col">Applies</th><th scope="col">Requirements</th><th scope="col">Details</th></tr></thead>
        <tbody>
          {controls.map((c) => (
            <tr key={c.id}>
              <td>{c.id} {c.title}</td>
              <td><Badge value={c.status} /></td>
              <td>{c.applicable ? "yes" : `no: ${c.justification}`}</td>
              <td>{c.requirements.join(", ")}</td>
              <td>
                <button type="button" aria-expanded={open === c.id} onClick={() => { setOpen(open === c.id ? "" : c.id); setJust(c.justification); setErrors({}); }}>
                  Details of {c.id}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {ctl && (
        <article aria-label={`Control ${ctl.id}`}>
          <h3>{ctl.id} {ctl.title}</h3>
          <p>{ctl.description}</p>
          <h4>Test results</h4>
          <ul>
            {data.complianceRuns.filter((r) => r.controlId === ctl.id).map((r) => (
              <li key={r.id}>{r.testId}: <Badge value={r.status} /> {r.passed} passed, {r.failed} failed · {when(r.ranAt)}</li>
            ))}
            {!data.complianceRuns.some((r) => r.controlId === ctl.id) && <li>No runs yet.</li>}
          </ul>
          <h4>Evidence files</h4>
          <ul>
            {data.complianceEvidence.filter((e) => e.controlId === ctl.id).map((e) => (
              <li key={e.id}>
                {e.name} ({e.size} bytes, {when(e.createdAt)}){" "}
                <button
                  type="button"
                  onClick={() =>
                    void client.query(EvidenceContent, { id: e.id }, { requestPolicy: "network-only" }).toPromise().then((r) => {
                      const ec = r.data?.complianceEvidenceContent;
                      if (ec) saveBase64(ec.contentBase64, ec.evidence.name, ec.evidence.contentType);
                      else setErrors({ "": r.error?.message ?? "The file cannot be read." });
                    })
                  }
                >
                  Download {e.name}
                </button>
              </li>
            ))}
          </ul>
          {write && (
            <>
              <Field id="evidence-file" label="Attach a file" error={errors.contentBase64 ?? errors.name}>
                <input
                  id="evidence-file"
                  type="file"
                  onChange={(e) => {
                    const f = e.target.files?.[0];
                    if (!f) return;
                    void f.arrayBuffer().then((buf) =>
                      addEvidence({ controlId: ctl.id, name: f.name, contentType: f.type || null, contentBase64: toBase64(buf) }).then((r) => {
                        result(errsOf(r, r.data?.addComplianceEvidence.userErrors), `${f.name} attached.`);
                        after();
                      }),
                    );
                  }}
                />
              </Field>
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  void setApplicability({ input: { controlId: ctl.id, applicable: !ctl.applicable, justification: just } }).then((r) => {
                    result(errsOf(r, r.data?.setControlApplicability.userErrors), "Applicability saved.");
                    after();
                  });
                }}
              >
                <h4>Statement of Applicability</h4>
                <Field id="soa-justification" label="Justification" error={errors.justification}>
                  <input id="soa-justification" value={just} onChange={(e) => setJust(e.target.value)} />
                </Field>
                <button type="submit">{ctl.applicable ? "Mark not applicable" : "Mark applicable"}</button>
              </form>
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  const exp = exc.expiresAt ? new Date(exc.expiresAt).toISOString() : "";
                  void addException({ input: { controlId: ctl.id, reason: exc.reason, expiresAt: exp } }).then((r) => {
                    result(errsOf(r, r.data?.addComplianceException.userErrors), "Exception added.");
                    after();
                  });
                }}
              >
                <h4>New exception</h4>
                <Field id="exc-reason" label="Reason" error={errors.reason}>
                  <input id="exc-reason" value={exc.reason} onChange={(e) => setExc({ ...exc, reason: e.target.value })} />
                </Field>
                <Field id="exc-expires" label="Until" error={errors.expiresAt}>
                  <input id="exc-expires" type="date" value={exc.expiresAt} onChange={(e) => setExc({ ...exc, expiresAt: e.target.value })} />
                </Field>
                <button type="submit">Add exception</button>
              </form>
            </>
          )}
        </article>
      )}
      <h2>Exceptions</h2>
      <ul>
        {data.complianceExceptions.map((x) => <li key={x.id}>{x.controlId}: {x.reason} (until {when(x.expiresAt)})</li>)}
        {!data.complianceExceptions.length && <li>No exceptions.</li>}
      </ul>
      <h2>Reports</h2>
      {write && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const to = new Date();
            const from = new Date(to.getTime() - Number(rep.days) * day);
            void generate({ input: { framework: rep.framework, format: rep.format, from: from.toISOString(), to: to.toISOString() } }).then((r) => {
              result(errsOf(r, r.data?.generateComplianceReport.userErrors), "Report generated.");
              after();
            });
          }}
        >
          <Field id="rep-framework" label="Framework" error={errors.framework}>
            <select id="rep-framework" value={rep.framework} onChange={(e) => setRep({ ...rep, framework: e.target.value })}>
              {data.complianceFrameworks.map((f) => <option key={f.id} value={f.id}>{f.name}</option>)}
            </select>
          </Field>
          <Field id="rep-format" label="Format" error={errors.format}>
            <select id="rep-format" value={rep.format} onChange={(e) => setRep({ ...rep, format: e.target.value })}>
              <option value="pdf">PDF</option><option value="csv">CSV</option><option value="json">JSON</option>
            </select>
          </Field>
          <Field id="rep-days" label="Days covered" error={errors.from ?? errors.to}>
            <input id="rep-days" inputMode="numeric" value={rep.days} onChange={(e) => setRep({ ...rep, days: e.target.value })} />
          </Field>
          <button type="submit">Generate report</button>
        </form>
      )}
      <table>
        <thead><tr><th scope="col">Framework</th><th scope="col">Format</th><th scope="col">Period</th><th scope="col">Made</th><th scope="col">File</th></tr></thead>
        <tbody>
          {data.complianceReports.map((r) => (
            <tr key={r.id}>
              <td>{r.framework}</td><td>{r.format}</td><td>{when(r.from)} – {when(r.to)}</td><td>{when(r.createdAt)}</td>
              <td>
                <button
                  type="button"
                  onClick={() =>
                    void client.query(ReportFile, { id: r.id }, { requestPolicy: "network-only" }).toPromise().then((f) => {
                      const rf = f.data?.complianceReportFile;
                      if (rf) saveBase64(rf.contentBase64, `${rf.report.framework}-report.${rf.report.format}`, types[rf.report.format] ?? "");
                      else setErrors({ "": f.error?.message ?? "The report cannot be read." });
                    })
                  }
                >
                  Download {r.framework} {r.format} report
                </button>
              </td>
            </tr>
          ))}
          {!data.complianceReports.length && <tr><td colSpan={5}>No reports yet.</td></tr>}
        </tbody>
      </table>
      <h2>Monthly report schedule</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void setSchedule({ input: { frameworks: schedule, channelIds: data.complianceReportSchedule.channelIds } }).then((r) => {
            result(errsOf(r, r.data?.setComplianceReportSchedule.userErrors), "Schedule saved.");
            after();
          });
        }}
      >
        <fieldset disabled={!write}>
          <legend>Frameworks reported each month</legend>
          {data.complianceFrameworks.map((f) => (
            <label key={f.id} className="check">
              <input type="checkbox" checked={schedule.includes(f.id)} onChange={(e) => setSched(e.target.checked ? [...schedule, f.id] : schedule.filter((x) => x !== f.id))} /> {f.name}
            </label>
          ))}
          {errors.frameworks && <p className="field-error" role="alert">{errors.frameworks}</p>}
        </fieldset>
        {write && <button type="submit">Save schedule</button>}
      </form>
    </section>
  );
}
