/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query Viewer {\n    viewer {\n      user { id email name }\n      actingTenant { id name kind }\n      roles\n      permissions\n    }\n    tenants(first: 100) { edges { node { id name kind parentId status } } }\n  }\n": typeof types.ViewerDocument,
    "\n  mutation EnrollTOTP {\n    enrollTOTP { secret uri userErrors { field message code } }\n  }\n": typeof types.EnrollTotpDocument,
    "\n  mutation ConfirmTOTP($code: String!) {\n    confirmTOTP(code: $code) { ok userErrors { field message code } }\n  }\n": typeof types.ConfirmTotpDocument,
    "\n  mutation DisableTOTP($code: String!) {\n    disableTOTP(code: $code) { ok userErrors { field message code } }\n  }\n": typeof types.DisableTotpDocument,
    "\n  query AlertPage($id: ID!) {\n    node(id: $id) {\n      ... on Alert {\n        id title description severity status count firstSeen lastSeen ruleId tags eventIds caseId tenantId assigneeId\n      }\n    }\n    viewer { user { id email } }\n  }\n": typeof types.AlertPageDocument,
    "mutation AssignAlert($id: ID!, $assigneeId: ID) { assignAlert(id: $id, assigneeId: $assigneeId) { alert { id assigneeId } userErrors { field message code } } }": typeof types.AssignAlertDocument,
    "mutation AckOne($id: ID!) { acknowledgeAlert(id: $id) { alert { id status } userErrors { field message code } } }": typeof types.AckOneDocument,
    "mutation CloseOne($id: ID!, $status: String!) { closeAlert(id: $id, status: $status) { alert { id status } userErrors { field message code } } }": typeof types.CloseOneDocument,
    "\n  mutation OpenCase($input: CreateCaseInput!) {\n    createCase(input: $input) { case { id } userErrors { field message code } }\n  }\n": typeof types.OpenCaseDocument,
    "\n  query Alerts($where: AlertWhereInput, $after: Cursor) {\n    alerts(first: 100, after: $after, where: $where, orderBy: { field: LAST_SEEN, direction: DESC }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id title severity status count lastSeen tenantId caseId } }\n    }\n  }\n": typeof types.AlertsDocument,
    "\n  subscription AlertUpdated {\n    alertUpdated { id title severity status count lastSeen tenantId caseId }\n  }\n": typeof types.AlertUpdatedDocument,
    "\n  query AlertViews { savedViews(list: \"alerts\") { id name filters } }\n": typeof types.AlertViewsDocument,
    "\n  mutation SaveAlertView($input: CreateSavedViewInput!) {\n    createSavedView(input: $input) { savedView { id name filters } userErrors { field message code } }\n  }\n": typeof types.SaveAlertViewDocument,
    "\n  mutation DeleteAlertView($id: ID!) { deleteSavedView(id: $id) { savedView { id } userErrors { field message code } } }\n": typeof types.DeleteAlertViewDocument,
    "mutation AckAlert($id: ID!) { acknowledgeAlert(id: $id) { alert { id status } userErrors { field message code } } }": typeof types.AckAlertDocument,
    "mutation CloseAlert($id: ID!, $status: String!) { closeAlert(id: $id, status: $status) { alert { id status } userErrors { field message code } } }": typeof types.CloseAlertDocument,
    "\n  query CasePage($id: ID!) {\n    node(id: $id) {\n      ... on SecurityCase {\n        id title description severity status openedAt assigneeId\n        timeline(first: 100) { edges { node { id at kind actorId message } } }\n        tasks { id title done assigneeId }\n        evidence { id name contentType size sha256 addedBy createdAt }\n      }\n    }\n    viewer { user { id email } }\n  }\n": typeof types.CasePageDocument,
    "mutation AssignCase($id: ID!, $assigneeId: ID) { assignCase(id: $id, assigneeId: $assigneeId) { case { id assigneeId } userErrors { field message code } } }": typeof types.AssignCaseDocument,
    "mutation AddCaseTask($caseId: ID!, $title: String!) { addCaseTask(caseId: $caseId, title: $title) { task { id } userErrors { field message code } } }": typeof types.AddCaseTaskDocument,
    "mutation SetCaseTaskDone($id: ID!, $done: Boolean!) { setCaseTaskDone(id: $id, done: $done) { task { id done } userErrors { field message code } } }": typeof types.SetCaseTaskDoneDocument,
    "mutation AddCaseNote($id: ID!, $text: String!) { addCaseNote(id: $id, text: $text) { case { id } userErrors { field message code } } }": typeof types.AddCaseNoteDocument,
    "\n  mutation AddEvidence($caseId: ID!, $name: String!, $contentType: String, $contentBase64: String!) {\n    addEvidence(caseId: $caseId, name: $name, contentType: $contentType, contentBase64: $contentBase64) {\n      evidence { id } userErrors { field message code }\n    }\n  }\n": typeof types.AddEvidenceDocument,
    "query EvidenceContent($id: ID!) { evidenceContent(id: $id) { evidence { name contentType } contentBase64 } }": typeof types.EvidenceContentDocument,
    "\n  query Cases {\n    cases(first: 100, orderBy: { field: OPENED_AT, direction: DESC }) {\n      totalCount\n      edges { node { id title severity status openedAt } }\n    }\n  }\n": typeof types.CasesDocument,
    "subscription CaseUpdated { caseUpdated { id title severity status openedAt } }": typeof types.CaseUpdatedDocument,
    "\n  query IncidentPage($id: ID!) {\n    node(id: $id) {\n      ... on Incident {\n        id title severity status openedAt ackedAt resolvedAt assigneeId\n        monitor { id name }\n        timeline(first: 100) { edges { node { id at kind actorId message } } }\n      }\n    }\n    viewer { user { id email } }\n  }\n": typeof types.IncidentPageDocument,
    "mutation AckIncident($id: ID!) { acknowledgeIncident(id: $id) { incident { id status ackedAt } userErrors { field message code } } }": typeof types.AckIncidentDocument,
    "mutation ResolveIncident($id: ID!) { resolveIncident(id: $id) { incident { id status resolvedAt } userErrors { field message code } } }": typeof types.ResolveIncidentDocument,
    "mutation AssignIncident($id: ID!, $assigneeId: ID) { assignIncident(id: $id, assigneeId: $assigneeId) { incident { id assigneeId } userErrors { field message code } } }": typeof types.AssignIncidentDocument,
    "mutation CommentIncident($id: ID!, $text: String!) { commentOnIncident(id: $id, text: $text) { incident { id } userErrors { field message code } } }": typeof types.CommentIncidentDocument,
    "\n  query Incidents($where: IncidentWhereInput) {\n    incidents(first: 100, where: $where, orderBy: { field: OPENED_AT, direction: DESC }) {\n      totalCount\n      edges { node { id title severity status openedAt ackedAt resolvedAt tenantId } }\n    }\n  }\n": typeof types.IncidentsDocument,
    "\n  subscription IncidentUpdated {\n    incidentUpdated { id title severity status openedAt ackedAt resolvedAt tenantId }\n  }\n": typeof types.IncidentUpdatedDocument,
    "\n  mutation AcceptInvitation($input: AcceptInvitationInput!) {\n    acceptInvitation(input: $input) {\n      membership { id role tenant { name } }\n      userErrors { field message code }\n    }\n  }\n": typeof types.AcceptInvitationDocument,
    "\n  query MonitorEdit($id: ID!) {\n    node(id: $id) {\n      ... on Monitor { id name kind settings intervalSeconds timeoutMs failuresBeforeDown successesBeforeRecovery slaTarget }\n    }\n  }\n": typeof types.MonitorEditDocument,
    "\n  mutation UpdateMonitor($id: ID!, $input: MonitorInput!) {\n    updateMonitor(id: $id, input: $input) {\n      monitor { id name settings intervalSeconds timeoutMs failuresBeforeDown successesBeforeRecovery slaTarget }\n      userErrors { field message code }\n    }\n  }\n": typeof types.UpdateMonitorDocument,
    "\n  query AssetsForMonitor {\n    assets(first: 100, orderBy: { field: NAME, direction: ASC }) { edges { node { id name } } }\n  }\n": typeof types.AssetsForMonitorDocument,
    "\n  mutation CreateMonitor($input: MonitorInput!) {\n    createMonitor(input: $input) {\n      monitor { id }\n      heartbeatUrl\n      userErrors { field message code }\n    }\n  }\n": typeof types.CreateMonitorDocument,
    "\n  query MonitorPage($id: ID!, $from: Time!, $to: Time!) {\n    node(id: $id) {\n      ... on Monitor {\n        id name kind status paused statusSince lastMessage intervalSeconds settings\n        asset { id name }\n        uptime(from: $from, to: $to) { uptimePercent p95Ms checks }\n        results(from: $from, to: $to, first: 500) { nodes { checkedAt status latencyMs reason message } }\n      }\n    }\n  }\n": typeof types.MonitorPageDocument,
    "mutation PauseOne($id: ID!) { pauseMonitor(id: $id) { monitor { id paused status } userErrors { field message code } } }": typeof types.PauseOneDocument,
    "mutation RunOne($id: ID!) { runMonitor(id: $id) { monitor { id } userErrors { field message code } } }": typeof types.RunOneDocument,
    "mutation ResumeOne($id: ID!) { resumeMonitor(id: $id) { monitor { id paused status } userErrors { field message code } } }": typeof types.ResumeOneDocument,
    "\n  subscription MonitorPageState {\n    monitorStateChanged { id status paused lastCheckedAt }\n  }\n": typeof types.MonitorPageStateDocument,
    "\n  query MonitorsPage($first: Int!, $after: Cursor, $where: MonitorWhereInput) {\n    monitors(first: $first, after: $after, where: $where, orderBy: { field: NAME, direction: ASC }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name kind status paused lastCheckedAt lastLatencyUs tenantId } }\n    }\n  }\n": typeof types.MonitorsPageDocument,
    "\n  subscription MonitorStateChanged {\n    monitorStateChanged { id status paused lastCheckedAt lastLatencyUs }\n  }\n": typeof types.MonitorStateChangedDocument,
    "mutation PauseMonitor($id: ID!) { pauseMonitor(id: $id) { monitor { id paused status } userErrors { field message code } } }": typeof types.PauseMonitorDocument,
    "mutation ResumeMonitor($id: ID!) { resumeMonitor(id: $id) { monitor { id paused status } userErrors { field message code } } }": typeof types.ResumeMonitorDocument,
    "mutation DeleteMonitor($id: ID!) { deleteMonitor(id: $id) { userErrors { field message code } } }": typeof types.DeleteMonitorDocument,
    "\n  query CustomerOverview($after: Cursor) {\n    customerOverview(first: 100, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          tenant { id name status }\n          monitors\n          monitorsDown\n          openIncidents\n          slasAtRisk\n          openAlerts { critical high medium low info }\n          planUsage { planName monitorsUsed monitorsAllowed eventsToday eventBytesToday eventBytesAllowedPerDay }\n        }\n      }\n    }\n  }\n": typeof types.CustomerOverviewDocument,
    "\n  query StatusPages {\n    statusPages(first: 100) { edges { node { id slug title monitorIds } } }\n    monitors(first: 100, orderBy: { field: NAME, direction: ASC }) { edges { node { id name tenantId } } }\n    viewer { actingTenant { id } }\n  }\n": typeof types.StatusPagesDocument,
    "\n  mutation PublishStatusPage($input: StatusPageInput!) {\n    publishStatusPage(input: $input) { statusPage { id slug } userErrors { field message code } }\n  }\n": typeof types.PublishStatusPageDocument,
    "\n  mutation UnpublishStatusPage($id: ID!) {\n    unpublishStatusPage(id: $id) { statusPage { id } userErrors { field message code } }\n  }\n": typeof types.UnpublishStatusPageDocument,
    "\n  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {\n    changePassword(currentPassword: $currentPassword, newPassword: $newPassword) { ok userErrors { field message code } }\n  }\n": typeof types.ChangePasswordDocument,
    "\n  query AdminAudit($tenantId: ID!, $after: Cursor, $action: String, $actorId: String) {\n    auditLog(tenantId: $tenantId, first: 25, after: $after, action: $action, actorId: $actorId) {\n      edges { node { id seq createdAt actorType actorId action targetId ip } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.AdminAuditDocument,
    "\n  query AuditActing { viewer { actingTenant { id } } }\n": typeof types.AuditActingDocument,
    "\n  query AdminTeam($tenantId: ID!, $after: Cursor) {\n    memberships(tenantId: $tenantId, first: 25, after: $after) {\n      edges { node { id role user { id email name } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.AdminTeamDocument,
    "\n  query AdminKeys($tenantId: ID!) {\n    apiKeys(tenantId: $tenantId, first: 100) {\n      edges { node { id name prefix scopes createdAt lastUsedAt revokedAt expiresAt } }\n    }\n  }\n": typeof types.AdminKeysDocument,
    "\n  query AdminInvitations($tenantId: ID!) {\n    invitations(tenantId: $tenantId, pending: true, first: 100) {\n      totalCount\n      edges { node { id email role createdAt expiresAt } }\n    }\n  }\n": typeof types.AdminInvitationsDocument,
    "\n  mutation AdminRevokeInvitation($id: ID!) {\n    revokeInvitation(id: $id) { invitation { id revokedAt } userErrors { field message code } }\n  }\n": typeof types.AdminRevokeInvitationDocument,
    "\n  query AdminActing { viewer { actingTenant { id name } } }\n": typeof types.AdminActingDocument,
    "\n  mutation AdminInvite($input: InviteUserInput!) {\n    inviteUser(input: $input) { token mailed invitation { id email } userErrors { field message code } }\n  }\n": typeof types.AdminInviteDocument,
    "\n  mutation AdminSetRole($id: ID!, $role: Role!) {\n    updateMembership(id: $id, role: $role) { membership { id role } userErrors { field message code } }\n  }\n": typeof types.AdminSetRoleDocument,
    "\n  mutation AdminRemoveMember($id: ID!) {\n    removeMembership(id: $id) { membership { id } userErrors { field message code } }\n  }\n": typeof types.AdminRemoveMemberDocument,
    "\n  mutation AdminCreateKey($input: CreateAPIKeyInput!) {\n    createAPIKey(input: $input) { secret apiKey { id name } userErrors { field message code } }\n  }\n": typeof types.AdminCreateKeyDocument,
    "\n  mutation AdminRevokeKey($id: ID!) {\n    revokeAPIKey(id: $id) { apiKey { id revokedAt } userErrors { field message code } }\n  }\n": typeof types.AdminRevokeKeyDocument,
    "\n  query AdminTenants($after: Cursor) {\n    viewer { actingTenant { id kind } }\n    tenants(first: 25, after: $after) {\n      edges { node { id name slug kind status parentId contactEmail } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.AdminTenantsDocument,
    "\n  mutation AdminCreateTenant($input: CreateTenantInput!) {\n    createTenant(input: $input) { tenant { id name } userErrors { field message code } }\n  }\n": typeof types.AdminCreateTenantDocument,
    "\n  mutation AdminSuspendTenant($id: ID!) {\n    suspendTenant(id: $id) { tenant { id status } userErrors { field message code } }\n  }\n": typeof types.AdminSuspendTenantDocument,
    "\n  mutation AdminReactivateTenant($id: ID!) {\n    reactivateTenant(id: $id) { tenant { id status } userErrors { field message code } }\n  }\n": typeof types.AdminReactivateTenantDocument,
    "\n  query BillingPage($tenantId: ID!) {\n    billingAccount(tenantId: $tenantId) {\n      currency interval periodStart periodEnd discountPercent taxPercent creditBalance\n      version { id planId version baseFee components { meter model unitAmount per freeUnits } }\n    }\n    subscription(tenantId: $tenantId) { status inherited plan { id name maxMonitors minIntervalSeconds retentionDays eventsPerSecond maxConcurrency } }\n    currentUsage(tenantId: $tenantId) { meter quantity amount }\n    billingCollection(tenantId: $tenantId) { collection state subscriptionStatus }\n  }\n": typeof types.BillingPageDocument,
    "\n  query BillingUsageHistory($tenantId: ID!, $from: Time!, $to: Time!, $after: Cursor) {\n    usageHistory(tenantId: $tenantId, from: $from, to: $to, first: 100, after: $after) {\n      edges { node { day meter quantity } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.BillingUsageHistoryDocument,
    "\n  query BillingInvoices($tenantId: ID!, $after: String) {\n    invoices(tenantId: $tenantId, first: 10, after: $after) {\n      nodes {\n        id number status currency periodStart periodEnd subtotal discount tax credit total\n        lines { kind description quantity freeUnits amount }\n      }\n      endCursor hasNextPage\n    }\n  }\n": typeof types.BillingInvoicesDocument,
    "\n  query BillingActing { viewer { actingTenant { id kind name } } tenants(first: 100) { edges { node { id name kind } } } }\n": typeof types.BillingActingDocument,
    "\n  query BillingInvoiceDocument($tenantId: ID!, $invoiceId: ID!) {\n    invoiceDocument(tenantId: $tenantId, invoiceId: $invoiceId, format: \"pdf\") { filename contentType base64 }\n  }\n": typeof types.BillingInvoiceDocumentDocument,
    "query BillingPortal($tenantId: ID!) { billingPortalUrl(tenantId: $tenantId) }": typeof types.BillingPortalDocument,
    "\n  query BillingRevenue { revenue { tenantId currency recurring usage total } }\n": typeof types.BillingRevenueDocument,
    "\n  query BillingPriceBook($first: Int, $after: Cursor) {\n    priceBook(first: $first, after: $after) {\n      totalCount\n      edges { node { id planId version currency interval baseFee minimumCommitment components { meter model unitAmount per freeUnits } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.BillingPriceBookDocument,
    "\n  query BillingPreview($tenantId: ID!, $versionId: ID!) {\n    previewPlanChange(tenantId: $tenantId, versionId: $versionId) { upgrade effectiveAt delta lines { description amount } }\n  }\n": typeof types.BillingPreviewDocument,
    "\n  mutation BillingChangeVersion($tenantId: ID!, $versionId: ID!) {\n    changePriceVersion(tenantId: $tenantId, versionId: $versionId) { userErrors { field message code } }\n  }\n": typeof types.BillingChangeVersionDocument,
    "\n  query CompliancePage {\n    complianceFrameworks { id name version requirements { id } }\n    complianceControls { id title description requirements tests applicable justification status exceptions { id } }\n    complianceExceptions { id controlId reason expiresAt createdAt }\n    complianceRuns(first: 50) { id testId controlId status passed failed ranAt }\n    complianceReports(first: 50) { id framework format from to size createdAt sha256 }\n    complianceReportSchedule { frameworks channelIds set updatedAt }\n    complianceEvidence { id controlId name size sha256 createdAt contentType }\n  }\n": typeof types.CompliancePageDocument,
    "query CompliancePosture { compliancePosture { tenantId tenantName passing failing notApplicable notTested } }": typeof types.CompliancePostureDocument,
    "\n  mutation ComplianceSetApplicability($input: ControlApplicabilityInput!) {\n    setControlApplicability(input: $input) { control { id applicable justification status } userErrors { field message code } }\n  }\n": typeof types.ComplianceSetApplicabilityDocument,
    "\n  mutation ComplianceAddException($input: ComplianceExceptionInput!) {\n    addComplianceException(input: $input) { exception { id } userErrors { field message code } }\n  }\n": typeof types.ComplianceAddExceptionDocument,
    "\n  mutation ComplianceRunTests($from: Time!, $to: Time!) {\n    runComplianceTests(from: $from, to: $to) { runs { id } userErrors { field message code } }\n  }\n": typeof types.ComplianceRunTestsDocument,
    "\n  mutation ComplianceGenerate($input: GenerateComplianceReportInput!) {\n    generateComplianceReport(input: $input) { report { id } userErrors { field message code } }\n  }\n": typeof types.ComplianceGenerateDocument,
    "query ComplianceReportFile($id: ID!) { complianceReportFile(id: $id) { report { framework format } contentBase64 } }": typeof types.ComplianceReportFileDocument,
    "\n  mutation ComplianceAddEvidence($controlId: String!, $name: String!, $contentType: String, $contentBase64: String!) {\n    addComplianceEvidence(controlId: $controlId, name: $name, contentType: $contentType, contentBase64: $contentBase64) { evidence { id } userErrors { field message code } }\n  }\n": typeof types.ComplianceAddEvidenceDocument,
    "query ComplianceEvidenceContent($id: ID!) { complianceEvidenceContent(id: $id) { evidence { name contentType } contentBase64 } }": typeof types.ComplianceEvidenceContentDocument,
    "\n  mutation ComplianceSetSchedule($input: ComplianceReportScheduleInput!) {\n    setComplianceReportSchedule(input: $input) { schedule { frameworks set } userErrors { field message code } }\n  }\n": typeof types.ComplianceSetScheduleDocument,
    "\n  query Assets($first: Int, $after: Cursor, $where: AssetWhereInput) {\n    assets(first: $first, after: $after, where: $where, orderBy: { field: NAME, direction: ASC }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name kind address criticality site tags } }\n    }\n  }\n": typeof types.AssetsDocument,
    "\n  mutation CreateAssetView($input: AssetInput!) {\n    createAsset(input: $input) { asset { id name } userErrors { field message code } }\n  }\n": typeof types.CreateAssetViewDocument,
    "\n  query NotificationChannels($first: Int, $after: Cursor) {\n    notificationChannels(first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name kind minSeverity states enabled } }\n    }\n  }\n": typeof types.NotificationChannelsDocument,
    "\n  mutation CreateNotificationChannel($input: NotificationChannelInput!) {\n    createNotificationChannel(input: $input) { notificationChannel { id } userErrors { field message code } }\n  }\n": typeof types.CreateNotificationChannelDocument,
    "\n  mutation DeleteNotificationChannel($id: ID!) {\n    deleteNotificationChannel(id: $id) { notificationChannel { id } userErrors { field message code } }\n  }\n": typeof types.DeleteNotificationChannelDocument,
    "\n  mutation TestNotificationChannel($id: ID!) {\n    testNotificationChannel(id: $id) { delivered userErrors { field message code } }\n  }\n": typeof types.TestNotificationChannelDocument,
    "\n  query EscalationPolicies($first: Int, $after: Cursor) {\n    escalationPolicies(first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name repeat repeatAfterSeconds levels { delaySeconds targets } } }\n    }\n    notificationChannels(first: 100) { edges { node { id name kind } } }\n  }\n": typeof types.EscalationPoliciesDocument,
    "\n  mutation CreateEscalationPolicy($input: EscalationPolicyInput!) {\n    createEscalationPolicy(input: $input) { escalationPolicy { id } userErrors { field message code } }\n  }\n": typeof types.CreateEscalationPolicyDocument,
    "\n  mutation DeleteEscalationPolicy($id: ID!) {\n    deleteEscalationPolicy(id: $id) { escalationPolicy { id } userErrors { field message code } }\n  }\n": typeof types.DeleteEscalationPolicyDocument,
    "\n  query MaintenanceWindows($first: Int, $after: Cursor) {\n    maintenanceWindows(first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name startsAt endsAt recurrence timezone startTime durationSeconds assetIds monitorIds } }\n    }\n  }\n": typeof types.MaintenanceWindowsDocument,
    "\n  mutation CreateMaintenanceWindow($input: MaintenanceWindowInput!) {\n    createMaintenanceWindow(input: $input) { maintenanceWindow { id } userErrors { field message code } }\n  }\n": typeof types.CreateMaintenanceWindowDocument,
    "\n  mutation EndMaintenanceWindow($id: ID!, $input: MaintenanceWindowInput!) {\n    updateMaintenanceWindow(id: $id, input: $input) { maintenanceWindow { id endsAt } userErrors { field message code } }\n  }\n": typeof types.EndMaintenanceWindowDocument,
    "\n  query UptimeReport($from: Time!, $to: Time!, $first: Int, $after: Cursor) {\n    monitors(first: $first, after: $after, orderBy: { field: NAME, direction: ASC }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id\n          name\n          tenantId\n          uptime(from: $from, to: $to) { uptimePercent checks up down degraded downtimeSeconds p95Ms slaTarget slaBreached slaAllowedDowntimeSeconds }\n        }\n      }\n    }\n    tenants(first: 100) { edges { node { id name } } }\n  }\n": typeof types.UptimeReportDocument,
    "\n  query SearchEvents($from: Time!, $to: Time!, $text: String, $first: Int, $after: String) {\n    securityEvents(from: $from, to: $to, text: $text, first: $first, after: $after) {\n      endCursor\n      hasNextPage\n      nodes { id timestamp dataset category action outcome severity hostName userName sourceIp destinationIp message }\n    }\n  }\n": typeof types.SearchEventsDocument,
    "\n  query IndicatorLists {\n    indicatorLists(first: 100) { edges { node { id name kind description size edlPath } } }\n  }\n": typeof types.IndicatorListsDocument,
    "\n  query Indicators($first: Int, $after: Cursor, $where: IndicatorWhereInput) {\n    indicators(first: $first, after: $after, where: $where) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id kind value source confidence tlp validUntil description } }\n    }\n  }\n": typeof types.IndicatorsDocument,
    "\n  mutation AddIndicator($input: IndicatorInput!) {\n    addIndicator(input: $input) { indicator { id } userErrors { field message code } }\n  }\n": typeof types.AddIndicatorDocument,
    "\n  mutation DeleteIndicator($id: ID!) {\n    deleteIndicator(id: $id) { indicator { id } userErrors { field message code } }\n  }\n": typeof types.DeleteIndicatorDocument,
    "\n  mutation CreateIndicatorList($input: IndicatorListInput!) {\n    createIndicatorList(input: $input) { list { id } edlToken userErrors { field message code } }\n  }\n": typeof types.CreateIndicatorListDocument,
    "\n  query Playbooks {\n    playbooks(first: 100) { edges { node { id name enabled trigger steps } } }\n  }\n": typeof types.PlaybooksDocument,
    "\n  query PlaybookRuns($first: Int, $after: Cursor, $where: PlaybookRunWhereInput) {\n    playbookRuns(first: $first, after: $after, where: $where) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id playbookId alertId status step createdAt finishedAt log } }\n    }\n  }\n": typeof types.PlaybookRunsDocument,
    "\n  query DetectionRules($first: Int, $after: Cursor, $where: DetectionRuleWhereInput) {\n    detectionRules(first: $first, after: $after, where: $where, orderBy: { field: TITLE, direction: ASC }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id ruleId title level kind global enabledForMe yaml } }\n    }\n  }\n": typeof types.DetectionRulesDocument,
    "\n  mutation SetDetectionRuleEnabled($id: ID!, $enabled: Boolean!) {\n    setDetectionRuleEnabled(id: $id, enabled: $enabled) { rule { id enabledForMe } userErrors { field message code } }\n  }\n": typeof types.SetDetectionRuleEnabledDocument,
    "\n  mutation ImportDetectionRule($input: DetectionRuleInput!) {\n    saveDetectionRule(input: $input) { rule { id title } userErrors { field message code } }\n  }\n": typeof types.ImportDetectionRuleDocument,
    "\n  mutation TestDetectionRule($rule: String!, $events: [JSON!]!) {\n    testDetectionRule(rule: $rule, events: $events) { ruleId title error matches correlations }\n  }\n": typeof types.TestDetectionRuleDocument,
};
const documents: Documents = {
    "\n  query Viewer {\n    viewer {\n      user { id email name }\n      actingTenant { id name kind }\n      roles\n      permissions\n    }\n    tenants(first: 100) { edges { node { id name kind parentId status } } }\n  }\n": types.ViewerDocument,
    "\n  mutation EnrollTOTP {\n    enrollTOTP { secret uri userErrors { field message code } }\n  }\n": types.EnrollTotpDocument,
    "\n  mutation ConfirmTOTP($code: String!) {\n    confirmTOTP(code: $code) { ok userErrors { field message code } }\n  }\n": types.ConfirmTotpDocument,
    "\n  mutation DisableTOTP($code: String!) {\n    disableTOTP(code: $code) { ok userErrors { field message code } }\n  }\n": types.DisableTotpDocument,
    "\n  query AlertPage($id: ID!) {\n    node(id: $id) {\n      ... on Alert {\n        id title description severity status count firstSeen lastSeen ruleId tags eventIds caseId tenantId assigneeId\n      }\n    }\n    viewer { user { id email } }\n  }\n": types.AlertPageDocument,
    "mutation AssignAlert($id: ID!, $assigneeId: ID) { assignAlert(id: $id, assigneeId: $assigneeId) { alert { id assigneeId } userErrors { field message code } } }": types.AssignAlertDocument,
    "mutation AckOne($id: ID!) { acknowledgeAlert(id: $id) { alert { id status } userErrors { field message code } } }": types.AckOneDocument,
    "mutation CloseOne($id: ID!, $status: String!) { closeAlert(id: $id, status: $status) { alert { id status } userErrors { field message code } } }": types.CloseOneDocument,
    "\n  mutation OpenCase($input: CreateCaseInput!) {\n    createCase(input: $input) { case { id } userErrors { field message code } }\n  }\n": types.OpenCaseDocument,
    "\n  query Alerts($where: AlertWhereInput, $after: Cursor) {\n    alerts(first: 100, after: $after, where: $where, orderBy: { field: LAST_SEEN, direction: DESC }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id title severity status count lastSeen tenantId caseId } }\n    }\n  }\n": types.AlertsDocument,
    "\n  subscription AlertUpdated {\n    alertUpdated { id title severity status count lastSeen tenantId caseId }\n  }\n": types.AlertUpdatedDocument,
    "\n  query AlertViews { savedViews(list: \"alerts\") { id name filters } }\n": types.AlertViewsDocument,
    "\n  mutation SaveAlertView($input: CreateSavedViewInput!) {\n    createSavedView(input: $input) { savedView { id name filters } userErrors { field message code } }\n  }\n": types.SaveAlertViewDocument,
    "\n  mutation DeleteAlertView($id: ID!) { deleteSavedView(id: $id) { savedView { id } userErrors { field message code } } }\n": types.DeleteAlertViewDocument,
    "mutation AckAlert($id: ID!) { acknowledgeAlert(id: $id) { alert { id status } userErrors { field message code } } }": types.AckAlertDocument,
    "mutation CloseAlert($id: ID!, $status: String!) { closeAlert(id: $id, status: $status) { alert { id status } userErrors { field message code } } }": types.CloseAlertDocument,
    "\n  query CasePage($id: ID!) {\n    node(id: $id) {\n      ... on SecurityCase {\n        id title description severity status openedAt assigneeId\n        timeline(first: 100) { edges { node { id at kind actorId message } } }\n        tasks { id title done assigneeId }\n        evidence { id name contentType size sha256 addedBy createdAt }\n      }\n    }\n    viewer { user { id email } }\n  }\n": types.CasePageDocument,
    "mutation AssignCase($id: ID!, $assigneeId: ID) { assignCase(id: $id, assigneeId: $assigneeId) { case { id assigneeId } userErrors { field message code } } }": types.AssignCaseDocument,
    "mutation AddCaseTask($caseId: ID!, $title: String!) { addCaseTask(caseId: $caseId, title: $title) { task { id } userErrors { field message code } } }": types.AddCaseTaskDocument,
    "mutation SetCaseTaskDone($id: ID!, $done: Boolean!) { setCaseTaskDone(id: $id, done: $done) { task { id done } userErrors { field message code } } }": types.SetCaseTaskDoneDocument,
    "mutation AddCaseNote($id: ID!, $text: String!) { addCaseNote(id: $id, text: $text) { case { id } userErrors { field message code } } }": types.AddCaseNoteDocument,
    "\n  mutation AddEvidence($caseId: ID!, $name: String!, $contentType: String, $contentBase64: String!) {\n    addEvidence(caseId: $caseId, name: $name, contentType: $contentType, contentBase64: $contentBase64) {\n      evidence { id } userErrors { field message code }\n    }\n  }\n": types.AddEvidenceDocument,
    "query EvidenceContent($id: ID!) { evidenceContent(id: $id) { evidence { name contentType } contentBase64 } }": types.EvidenceContentDocument,
    "\n  query Cases {\n    cases(first: 100, orderBy: { field: OPENED_AT, direction: DESC }) {\n      totalCount\n      edges { node { id title severity status openedAt } }\n    }\n  }\n": types.CasesDocument,
    "subscription CaseUpdated { caseUpdated { id title severity status openedAt } }": types.CaseUpdatedDocument,
    "\n  query IncidentPage($id: ID!) {\n    node(id: $id) {\n      ... on Incident {\n        id title severity status openedAt ackedAt resolvedAt assigneeId\n        monitor { id name }\n        timeline(first: 100) { edges { node { id at kind actorId message } } }\n      }\n    }\n    viewer { user { id email } }\n  }\n": types.IncidentPageDocument,
    "mutation AckIncident($id: ID!) { acknowledgeIncident(id: $id) { incident { id status ackedAt } userErrors { field message code } } }": types.AckIncidentDocument,
    "mutation ResolveIncident($id: ID!) { resolveIncident(id: $id) { incident { id status resolvedAt } userErrors { field message code } } }": types.ResolveIncidentDocument,
    "mutation AssignIncident($id: ID!, $assigneeId: ID) { assignIncident(id: $id, assigneeId: $assigneeId) { incident { id assigneeId } userErrors { field message code } } }": types.AssignIncidentDocument,
    "mutation CommentIncident($id: ID!, $text: String!) { commentOnIncident(id: $id, text: $text) { incident { id } userErrors { field message code } } }": types.CommentIncidentDocument,
    "\n  query Incidents($where: IncidentWhereInput) {\n    incidents(first: 100, where: $where, orderBy: { field: OPENED_AT, direction: DESC }) {\n      totalCount\n      edges { node { id title severity status openedAt ackedAt resolvedAt tenantId } }\n    }\n  }\n": types.IncidentsDocument,
    "\n  subscription IncidentUpdated {\n    incidentUpdated { id title severity status openedAt ackedAt resolvedAt tenantId }\n  }\n": types.IncidentUpdatedDocument,
    "\n  mutation AcceptInvitation($input: AcceptInvitationInput!) {\n    acceptInvitation(input: $input) {\n      membership { id role tenant { name } }\n      userErrors { field message code }\n    }\n  }\n": types.AcceptInvitationDocument,
    "\n  query MonitorEdit($id: ID!) {\n    node(id: $id) {\n      ... on Monitor { id name kind settings intervalSeconds timeoutMs failuresBeforeDown successesBeforeRecovery slaTarget }\n    }\n  }\n": types.MonitorEditDocument,
    "\n  mutation UpdateMonitor($id: ID!, $input: MonitorInput!) {\n    updateMonitor(id: $id, input: $input) {\n      monitor { id name settings intervalSeconds timeoutMs failuresBeforeDown successesBeforeRecovery slaTarget }\n      userErrors { field message code }\n    }\n  }\n": types.UpdateMonitorDocument,
    "\n  query AssetsForMonitor {\n    assets(first: 100, orderBy: { field: NAME, direction: ASC }) { edges { node { id name } } }\n  }\n": types.AssetsForMonitorDocument,
    "\n  mutation CreateMonitor($input: MonitorInput!) {\n    createMonitor(input: $input) {\n      monitor { id }\n      heartbeatUrl\n      userErrors { field message code }\n    }\n  }\n": types.CreateMonitorDocument,
    "\n  query MonitorPage($id: ID!, $from: Time!, $to: Time!) {\n    node(id: $id) {\n      ... on Monitor {\n        id name kind status paused statusSince lastMessage intervalSeconds settings\n        asset { id name }\n        uptime(from: $from, to: $to) { uptimePercent p95Ms checks }\n        results(from: $from, to: $to, first: 500) { nodes { checkedAt status latencyMs reason message } }\n      }\n    }\n  }\n": types.MonitorPageDocument,
    "mutation PauseOne($id: ID!) { pauseMonitor(id: $id) { monitor { id paused status } userErrors { field message code } } }": types.PauseOneDocument,
    "mutation RunOne($id: ID!) { runMonitor(id: $id) { monitor { id } userErrors { field message code } } }": types.RunOneDocument,
    "mutation ResumeOne($id: ID!) { resumeMonitor(id: $id) { monitor { id paused status } userErrors { field message code } } }": types.ResumeOneDocument,
    "\n  subscription MonitorPageState {\n    monitorStateChanged { id status paused lastCheckedAt }\n  }\n": types.MonitorPageStateDocument,
    "\n  query MonitorsPage($first: Int!, $after: Cursor, $where: MonitorWhereInput) {\n    monitors(first: $first, after: $after, where: $where, orderBy: { field: NAME, direction: ASC }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name kind status paused lastCheckedAt lastLatencyUs tenantId } }\n    }\n  }\n": types.MonitorsPageDocument,
    "\n  subscription MonitorStateChanged {\n    monitorStateChanged { id status paused lastCheckedAt lastLatencyUs }\n  }\n": types.MonitorStateChangedDocument,
    "mutation PauseMonitor($id: ID!) { pauseMonitor(id: $id) { monitor { id paused status } userErrors { field message code } } }": types.PauseMonitorDocument,
    "mutation ResumeMonitor($id: ID!) { resumeMonitor(id: $id) { monitor { id paused status } userErrors { field message code } } }": types.ResumeMonitorDocument,
    "mutation DeleteMonitor($id: ID!) { deleteMonitor(id: $id) { userErrors { field message code } } }": types.DeleteMonitorDocument,
    "\n  query CustomerOverview($after: Cursor) {\n    customerOverview(first: 100, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          tenant { id name status }\n          monitors\n          monitorsDown\n          openIncidents\n          slasAtRisk\n          openAlerts { critical high medium low info }\n          planUsage { planName monitorsUsed monitorsAllowed eventsToday eventBytesToday eventBytesAllowedPerDay }\n        }\n      }\n    }\n  }\n": types.CustomerOverviewDocument,
    "\n  query StatusPages {\n    statusPages(first: 100) { edges { node { id slug title monitorIds } } }\n    monitors(first: 100, orderBy: { field: NAME, direction: ASC }) { edges { node { id name tenantId } } }\n    viewer { actingTenant { id } }\n  }\n": types.StatusPagesDocument,
    "\n  mutation PublishStatusPage($input: StatusPageInput!) {\n    publishStatusPage(input: $input) { statusPage { id slug } userErrors { field message code } }\n  }\n": types.PublishStatusPageDocument,
    "\n  mutation UnpublishStatusPage($id: ID!) {\n    unpublishStatusPage(id: $id) { statusPage { id } userErrors { field message code } }\n  }\n": types.UnpublishStatusPageDocument,
    "\n  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {\n    changePassword(currentPassword: $currentPassword, newPassword: $newPassword) { ok userErrors { field message code } }\n  }\n": types.ChangePasswordDocument,
    "\n  query AdminAudit($tenantId: ID!, $after: Cursor, $action: String, $actorId: String) {\n    auditLog(tenantId: $tenantId, first: 25, after: $after, action: $action, actorId: $actorId) {\n      edges { node { id seq createdAt actorType actorId action targetId ip } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.AdminAuditDocument,
    "\n  query AuditActing { viewer { actingTenant { id } } }\n": types.AuditActingDocument,
    "\n  query AdminTeam($tenantId: ID!, $after: Cursor) {\n    memberships(tenantId: $tenantId, first: 25, after: $after) {\n      edges { node { id role user { id email name } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.AdminTeamDocument,
    "\n  query AdminKeys($tenantId: ID!) {\n    apiKeys(tenantId: $tenantId, first: 100) {\n      edges { node { id name prefix scopes createdAt lastUsedAt revokedAt expiresAt } }\n    }\n  }\n": types.AdminKeysDocument,
    "\n  query AdminInvitations($tenantId: ID!) {\n    invitations(tenantId: $tenantId, pending: true, first: 100) {\n      totalCount\n      edges { node { id email role createdAt expiresAt } }\n    }\n  }\n": types.AdminInvitationsDocument,
    "\n  mutation AdminRevokeInvitation($id: ID!) {\n    revokeInvitation(id: $id) { invitation { id revokedAt } userErrors { field message code } }\n  }\n": types.AdminRevokeInvitationDocument,
    "\n  query AdminActing { viewer { actingTenant { id name } } }\n": types.AdminActingDocument,
    "\n  mutation AdminInvite($input: InviteUserInput!) {\n    inviteUser(input: $input) { token mailed invitation { id email } userErrors { field message code } }\n  }\n": types.AdminInviteDocument,
    "\n  mutation AdminSetRole($id: ID!, $role: Role!) {\n    updateMembership(id: $id, role: $role) { membership { id role } userErrors { field message code } }\n  }\n": types.AdminSetRoleDocument,
    "\n  mutation AdminRemoveMember($id: ID!) {\n    removeMembership(id: $id) { membership { id } userErrors { field message code } }\n  }\n": types.AdminRemoveMemberDocument,
    "\n  mutation AdminCreateKey($input: CreateAPIKeyInput!) {\n    createAPIKey(input: $input) { secret apiKey { id name } userErrors { field message code } }\n  }\n": types.AdminCreateKeyDocument,
    "\n  mutation AdminRevokeKey($id: ID!) {\n    revokeAPIKey(id: $id) { apiKey { id revokedAt } userErrors { field message code } }\n  }\n": types.AdminRevokeKeyDocument,
    "\n  query AdminTenants($after: Cursor) {\n    viewer { actingTenant { id kind } }\n    tenants(first: 25, after: $after) {\n      edges { node { id name slug kind status parentId contactEmail } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.AdminTenantsDocument,
    "\n  mutation AdminCreateTenant($input: CreateTenantInput!) {\n    createTenant(input: $input) { tenant { id name } userErrors { field message code } }\n  }\n": types.AdminCreateTenantDocument,
    "\n  mutation AdminSuspendTenant($id: ID!) {\n    suspendTenant(id: $id) { tenant { id status } userErrors { field message code } }\n  }\n": types.AdminSuspendTenantDocument,
    "\n  mutation AdminReactivateTenant($id: ID!) {\n    reactivateTenant(id: $id) { tenant { id status } userErrors { field message code } }\n  }\n": types.AdminReactivateTenantDocument,
    "\n  query BillingPage($tenantId: ID!) {\n    billingAccount(tenantId: $tenantId) {\n      currency interval periodStart periodEnd discountPercent taxPercent creditBalance\n      version { id planId version baseFee components { meter model unitAmount per freeUnits } }\n    }\n    subscription(tenantId: $tenantId) { status inherited plan { id name maxMonitors minIntervalSeconds retentionDays eventsPerSecond maxConcurrency } }\n    currentUsage(tenantId: $tenantId) { meter quantity amount }\n    billingCollection(tenantId: $tenantId) { collection state subscriptionStatus }\n  }\n": types.BillingPageDocument,
    "\n  query BillingUsageHistory($tenantId: ID!, $from: Time!, $to: Time!, $after: Cursor) {\n    usageHistory(tenantId: $tenantId, from: $from, to: $to, first: 100, after: $after) {\n      edges { node { day meter quantity } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.BillingUsageHistoryDocument,
    "\n  query BillingInvoices($tenantId: ID!, $after: String) {\n    invoices(tenantId: $tenantId, first: 10, after: $after) {\n      nodes {\n        id number status currency periodStart periodEnd subtotal discount tax credit total\n        lines { kind description quantity freeUnits amount }\n      }\n      endCursor hasNextPage\n    }\n  }\n": types.BillingInvoicesDocument,
    "\n  query BillingActing { viewer { actingTenant { id kind name } } tenants(first: 100) { edges { node { id name kind } } } }\n": types.BillingActingDocument,
    "\n  query BillingInvoiceDocument($tenantId: ID!, $invoiceId: ID!) {\n    invoiceDocument(tenantId: $tenantId, invoiceId: $invoiceId, format: \"pdf\") { filename contentType base64 }\n  }\n": types.BillingInvoiceDocumentDocument,
    "query BillingPortal($tenantId: ID!) { billingPortalUrl(tenantId: $tenantId) }": types.BillingPortalDocument,
    "\n  query BillingRevenue { revenue { tenantId currency recurring usage total } }\n": types.BillingRevenueDocument,
    "\n  query BillingPriceBook($first: Int, $after: Cursor) {\n    priceBook(first: $first, after: $after) {\n      totalCount\n      edges { node { id planId version currency interval baseFee minimumCommitment components { meter model unitAmount per freeUnits } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.BillingPriceBookDocument,
    "\n  query BillingPreview($tenantId: ID!, $versionId: ID!) {\n    previewPlanChange(tenantId: $tenantId, versionId: $versionId) { upgrade effectiveAt delta lines { description amount } }\n  }\n": types.BillingPreviewDocument,
    "\n  mutation BillingChangeVersion($tenantId: ID!, $versionId: ID!) {\n    changePriceVersion(tenantId: $tenantId, versionId: $versionId) { userErrors { field message code } }\n  }\n": types.BillingChangeVersionDocument,
    "\n  query CompliancePage {\n    complianceFrameworks { id name version requirements { id } }\n    complianceControls { id title description requirements tests applicable justification status exceptions { id } }\n    complianceExceptions { id controlId reason expiresAt createdAt }\n    complianceRuns(first: 50) { id testId controlId status passed failed ranAt }\n    complianceReports(first: 50) { id framework format from to size createdAt sha256 }\n    complianceReportSchedule { frameworks channelIds set updatedAt }\n    complianceEvidence { id controlId name size sha256 createdAt contentType }\n  }\n": types.CompliancePageDocument,
    "query CompliancePosture { compliancePosture { tenantId tenantName passing failing notApplicable notTested } }": types.CompliancePostureDocument,
    "\n  mutation ComplianceSetApplicability($input: ControlApplicabilityInput!) {\n    setControlApplicability(input: $input) { control { id applicable justification status } userErrors { field message code } }\n  }\n": types.ComplianceSetApplicabilityDocument,
    "\n  mutation ComplianceAddException($input: ComplianceExceptionInput!) {\n    addComplianceException(input: $input) { exception { id } userErrors { field message code } }\n  }\n": types.ComplianceAddExceptionDocument,
    "\n  mutation ComplianceRunTests($from: Time!, $to: Time!) {\n    runComplianceTests(from: $from, to: $to) { runs { id } userErrors { field message code } }\n  }\n": types.ComplianceRunTestsDocument,
    "\n  mutation ComplianceGenerate($input: GenerateComplianceReportInput!) {\n    generateComplianceReport(input: $input) { report { id } userErrors { field message code } }\n  }\n": types.ComplianceGenerateDocument,
    "query ComplianceReportFile($id: ID!) { complianceReportFile(id: $id) { report { framework format } contentBase64 } }": types.ComplianceReportFileDocument,
    "\n  mutation ComplianceAddEvidence($controlId: String!, $name: String!, $contentType: String, $contentBase64: String!) {\n    addComplianceEvidence(controlId: $controlId, name: $name, contentType: $contentType, contentBase64: $contentBase64) { evidence { id } userErrors { field message code } }\n  }\n": types.ComplianceAddEvidenceDocument,
    "query ComplianceEvidenceContent($id: ID!) { complianceEvidenceContent(id: $id) { evidence { name contentType } contentBase64 } }": types.ComplianceEvidenceContentDocument,
    "\n  mutation ComplianceSetSchedule($input: ComplianceReportScheduleInput!) {\n    setComplianceReportSchedule(input: $input) { schedule { frameworks set } userErrors { field message code } }\n  }\n": types.ComplianceSetScheduleDocument,
    "\n  query Assets($first: Int, $after: Cursor, $where: AssetWhereInput) {\n    assets(first: $first, after: $after, where: $where, orderBy: { field: NAME, direction: ASC }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name kind address criticality site tags } }\n    }\n  }\n": types.AssetsDocument,
    "\n  mutation CreateAssetView($input: AssetInput!) {\n    createAsset(input: $input) { asset { id name } userErrors { field message code } }\n  }\n": types.CreateAssetViewDocument,
    "\n  query NotificationChannels($first: Int, $after: Cursor) {\n    notificationChannels(first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name kind minSeverity states enabled } }\n    }\n  }\n": types.NotificationChannelsDocument,
    "\n  mutation CreateNotificationChannel($input: NotificationChannelInput!) {\n    createNotificationChannel(input: $input) { notificationChannel { id } userErrors { field message code } }\n  }\n": types.CreateNotificationChannelDocument,
    "\n  mutation DeleteNotificationChannel($id: ID!) {\n    deleteNotificationChannel(id: $id) { notificationChannel { id } userErrors { field message code } }\n  }\n": types.DeleteNotificationChannelDocument,
    "\n  mutation TestNotificationChannel($id: ID!) {\n    testNotificationChannel(id: $id) { delivered userErrors { field message code } }\n  }\n": types.TestNotificationChannelDocument,
    "\n  query EscalationPolicies($first: Int, $after: Cursor) {\n    escalationPolicies(first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name repeat repeatAfterSeconds levels { delaySeconds targets } } }\n    }\n    notificationChannels(first: 100) { edges { node { id name kind } } }\n  }\n": types.EscalationPoliciesDocument,
    "\n  mutation CreateEscalationPolicy($input: EscalationPolicyInput!) {\n    createEscalationPolicy(input: $input) { escalationPolicy { id } userErrors { field message code } }\n  }\n": types.CreateEscalationPolicyDocument,
    "\n  mutation DeleteEscalationPolicy($id: ID!) {\n    deleteEscalationPolicy(id: $id) { escalationPolicy { id } userErrors { field message code } }\n  }\n": types.DeleteEscalationPolicyDocument,
    "\n  query MaintenanceWindows($first: Int, $after: Cursor) {\n    maintenanceWindows(first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name startsAt endsAt recurrence timezone startTime durationSeconds assetIds monitorIds } }\n    }\n  }\n": types.MaintenanceWindowsDocument,
    "\n  mutation CreateMaintenanceWindow($input: MaintenanceWindowInput!) {\n    createMaintenanceWindow(input: $input) { maintenanceWindow { id } userErrors { field message code } }\n  }\n": types.CreateMaintenanceWindowDocument,
    "\n  mutation EndMaintenanceWindow($id: ID!, $input: MaintenanceWindowInput!) {\n    updateMaintenanceWindow(id: $id, input: $input) { maintenanceWindow { id endsAt } userErrors { field message code } }\n  }\n": types.EndMaintenanceWindowDocument,
    "\n  query UptimeReport($from: Time!, $to: Time!, $first: Int, $after: Cursor) {\n    monitors(first: $first, after: $after, orderBy: { field: NAME, direction: ASC }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id\n          name\n          tenantId\n          uptime(from: $from, to: $to) { uptimePercent checks up down degraded downtimeSeconds p95Ms slaTarget slaBreached slaAllowedDowntimeSeconds }\n        }\n      }\n    }\n    tenants(first: 100) { edges { node { id name } } }\n  }\n": types.UptimeReportDocument,
    "\n  query SearchEvents($from: Time!, $to: Time!, $text: String, $first: Int, $after: String) {\n    securityEvents(from: $from, to: $to, text: $text, first: $first, after: $after) {\n      endCursor\n      hasNextPage\n      nodes { id timestamp dataset category action outcome severity hostName userName sourceIp destinationIp message }\n    }\n  }\n": types.SearchEventsDocument,
    "\n  query IndicatorLists {\n    indicatorLists(first: 100) { edges { node { id name kind description size edlPath } } }\n  }\n": types.IndicatorListsDocument,
    "\n  query Indicators($first: Int, $after: Cursor, $where: IndicatorWhereInput) {\n    indicators(first: $first, after: $after, where: $where) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id kind value source confidence tlp validUntil description } }\n    }\n  }\n": types.IndicatorsDocument,
    "\n  mutation AddIndicator($input: IndicatorInput!) {\n    addIndicator(input: $input) { indicator { id } userErrors { field message code } }\n  }\n": types.AddIndicatorDocument,
    "\n  mutation DeleteIndicator($id: ID!) {\n    deleteIndicator(id: $id) { indicator { id } userErrors { field message code } }\n  }\n": types.DeleteIndicatorDocument,
    "\n  mutation CreateIndicatorList($input: IndicatorListInput!) {\n    createIndicatorList(input: $input) { list { id } edlToken userErrors { field message code } }\n  }\n": types.CreateIndicatorListDocument,
    "\n  query Playbooks {\n    playbooks(first: 100) { edges { node { id name enabled trigger steps } } }\n  }\n": types.PlaybooksDocument,
    "\n  query PlaybookRuns($first: Int, $after: Cursor, $where: PlaybookRunWhereInput) {\n    playbookRuns(first: $first, after: $after, where: $where) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id playbookId alertId status step createdAt finishedAt log } }\n    }\n  }\n": types.PlaybookRunsDocument,
    "\n  query DetectionRules($first: Int, $after: Cursor, $where: DetectionRuleWhereInput) {\n    detectionRules(first: $first, after: $after, where: $where, orderBy: { field: TITLE, direction: ASC }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id ruleId title level kind global enabledForMe yaml } }\n    }\n  }\n": types.DetectionRulesDocument,
    "\n  mutation SetDetectionRuleEnabled($id: ID!, $enabled: Boolean!) {\n    setDetectionRuleEnabled(id: $id, enabled: $enabled) { rule { id enabledForMe } userErrors { field message code } }\n  }\n": types.SetDetectionRuleEnabledDocument,
    "\n  mutation ImportDetectionRule($input: DetectionRuleInput!) {\n    saveDetectionRule(input: $input) { rule { id title } userErrors { field message code } }\n  }\n": types.ImportDetectionRuleDocument,
    "\n  mutation TestDetectionRule($rule: String!, $events: [JSON!]!) {\n    testDetectionRule(rule: $rule, events: $events) { ruleId title error matches correlations }\n  }\n": types.TestDetectionRuleDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Viewer {\n    viewer {\n      user { id email name }\n      actingTenant { id name kind }\n      roles\n      permissions\n    }\n    tenants(first: 100) { edges { node { id name kind parentId status } } }\n  }\n"): (typeof documents)["\n  query Viewer {\n    viewer {\n      user { id email name }\n      actingTenant { id name kind }\n      roles\n      permissions\n    }\n    tenants(first: 100) { edges { node { id name kind parentId status } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation EnrollTOTP {\n    enrollTOTP { secret uri userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation EnrollTOTP {\n    enrollTOTP { secret uri userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConfirmTOTP($code: String!) {\n    confirmTOTP(code: $code) { ok userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation ConfirmTOTP($code: String!) {\n    confirmTOTP(code: $code) { ok userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DisableTOTP($code: String!) {\n    disableTOTP(code: $code) { ok userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation DisableTOTP($code: String!) {\n    disableTOTP(code: $code) { ok userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AlertPage($id: ID!) {\n    node(id: $id) {\n      ... on Alert {\n        id title description severity status count firstSeen lastSeen ruleId tags eventIds caseId tenantId assigneeId\n      }\n    }\n    viewer { user { id email } }\n  }\n"): (typeof documents)["\n  query AlertPage($id: ID!) {\n    node(id: $id) {\n      ... on Alert {\n        id title description severity status count firstSeen lastSeen ruleId tags eventIds caseId tenantId assigneeId\n      }\n    }\n    viewer { user { id email } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AssignAlert($id: ID!, $assigneeId: ID) { assignAlert(id: $id, assigneeId: $assigneeId) { alert { id assigneeId } userErrors { field message code } } }"): (typeof documents)["mutation AssignAlert($id: ID!, $assigneeId: ID) { assignAlert(id: $id, assigneeId: $assigneeId) { alert { id assigneeId } userErrors { field message code } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AckOne($id: ID!) { acknowledgeAlert(id: $id) { alert { id status } userErrors { field message code } } }"): (typeof documents)["mutation AckOne($id: ID!) { acknowledgeAlert(id: $id) { alert { id status } userErrors { field message code } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CloseOne($id: ID!, $status: String!) { closeAlert(id: $id, status: $status) { alert { id status } userErrors { field message code } } }"): (typeof documents)["mutation CloseOne($id: ID!, $status: String!) { closeAlert(id: $id, status: $status) { alert { id status } userErrors { field message code } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation OpenCase($input: CreateCaseInput!) {\n    createCase(input: $input) { case { id } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation OpenCase($input: CreateCaseInput!) {\n    createCase(input: $input) { case { id } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Alerts($where: AlertWhereInput, $after: Cursor) {\n    alerts(first: 100, after: $after, where: $where, orderBy: { field: LAST_SEEN, direction: DESC }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id title severity status count lastSeen tenantId caseId } }\n    }\n  }\n"): (typeof documents)["\n  query Alerts($where: AlertWhereInput, $after: Cursor) {\n    alerts(first: 100, after: $after, where: $where, orderBy: { field: LAST_SEEN, direction: DESC }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id title severity status count lastSeen tenantId caseId } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription AlertUpdated {\n    alertUpdated { id title severity status count lastSeen tenantId caseId }\n  }\n"): (typeof documents)["\n  subscription AlertUpdated {\n    alertUpdated { id title severity status count lastSeen tenantId caseId }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AlertViews { savedViews(list: \"alerts\") { id name filters } }\n"): (typeof documents)["\n  query AlertViews { savedViews(list: \"alerts\") { id name filters } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SaveAlertView($input: CreateSavedViewInput!) {\n    createSavedView(input: $input) { savedView { id name filters } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation SaveAlertView($input: CreateSavedViewInput!) {\n    createSavedView(input: $input) { savedView { id name filters } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteAlertView($id: ID!) { deleteSavedView(id: $id) { savedView { id } userErrors { field message code } } }\n"): (typeof documents)["\n  mutation DeleteAlertView($id: ID!) { deleteSavedView(id: $id) { savedView { id } userErrors { field message code } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AckAlert($id: ID!) { acknowledgeAlert(id: $id) { alert { id status } userErrors { field message code } } }"): (typeof documents)["mutation AckAlert($id: ID!) { acknowledgeAlert(id: $id) { alert { id status } userErrors { field message code } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CloseAlert($id: ID!, $status: String!) { closeAlert(id: $id, status: $status) { alert { id status } userErrors { field message code } } }"): (typeof documents)["mutation CloseAlert($id: ID!, $status: String!) { closeAlert(id: $id, status: $status) { alert { id status } userErrors { field message code } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CasePage($id: ID!) {\n    node(id: $id) {\n      ... on SecurityCase {\n        id title description severity status openedAt assigneeId\n        timeline(first: 100) { edges { node { id at kind actorId message } } }\n        tasks { id title done assigneeId }\n        evidence { id name contentType size sha256 addedBy createdAt }\n      }\n    }\n    viewer { user { id email } }\n  }\n"): (typeof documents)["\n  query CasePage($id: ID!) {\n    node(id: $id) {\n      ... on SecurityCase {\n        id title description severity status openedAt assigneeId\n        timeline(first: 100) { edges { node { id at kind actorId message } } }\n        tasks { id title done assigneeId }\n        evidence { id name contentType size sha256 addedBy createdAt }\n      }\n    }\n    viewer { user { id email } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AssignCase($id: ID!, $assigneeId: ID) { assignCase(id: $id, assigneeId: $assigneeId) { case { id assigneeId } userErrors { field message code } } }"): (typeof documents)["mutation AssignCase($id: ID!, $assigneeId: ID) { assignCase(id: $id, assigneeId: $assigneeId) { case { id assigneeId } userErrors { field message code } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AddCaseTask($caseId: ID!, $title: String!) { addCaseTask(caseId: $caseId, title: $title) { task { id } userErrors { field message code } } }"): (typeof documents)["mutation AddCaseTask($caseId: ID!, $title: String!) { addCaseTask(caseId: $caseId, title: $title) { task { id } userErrors { field message code } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SetCaseTaskDone($id: ID!, $done: Boolean!) { setCaseTaskDone(id: $id, done: $done) { task { id done } userErrors { field message code } } }"): (typeof documents)["mutation SetCaseTaskDone($id: ID!, $done: Boolean!) { setCaseTaskDone(id: $id, done: $done) { task { id done } userErrors { field message code } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AddCaseNote($id: ID!, $text: String!) { addCaseNote(id: $id, text: $text) { case { id } userErrors { field message code } } }"): (typeof documents)["mutation AddCaseNote($id: ID!, $text: String!) { addCaseNote(id: $id, text: $text) { case { id } userErrors { field message code } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AddEvidence($caseId: ID!, $name: String!, $contentType: String, $contentBase64: String!) {\n    addEvidence(caseId: $caseId, name: $name, contentType: $contentType, contentBase64: $contentBase64) {\n      evidence { id } userErrors { field message code }\n    }\n  }\n"): (typeof documents)["\n  mutation AddEvidence($caseId: ID!, $name: String!, $contentType: String, $contentBase64: String!) {\n    addEvidence(caseId: $caseId, name: $name, contentType: $contentType, contentBase64: $contentBase64) {\n      evidence { id } userErrors { field message code }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query EvidenceContent($id: ID!) { evidenceContent(id: $id) { evidence { name contentType } contentBase64 } }"): (typeof documents)["query EvidenceContent($id: ID!) { evidenceContent(id: $id) { evidence { name contentType } contentBase64 } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Cases {\n    cases(first: 100, orderBy: { field: OPENED_AT, direction: DESC }) {\n      totalCount\n      edges { node { id title severity status openedAt } }\n    }\n  }\n"): (typeof documents)["\n  query Cases {\n    cases(first: 100, orderBy: { field: OPENED_AT, direction: DESC }) {\n      totalCount\n      edges { node { id title severity status openedAt } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription CaseUpdated { caseUpdated { id title severity status openedAt } }"): (typeof documents)["subscription CaseUpdated { caseUpdated { id title severity status openedAt } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query IncidentPage($id: ID!) {\n    node(id: $id) {\n      ... on Incident {\n        id title severity status openedAt ackedAt resolvedAt assigneeId\n        monitor { id name }\n        timeline(first: 100) { edges { node { id at kind actorId message } } }\n      }\n    }\n    viewer { user { id email } }\n  }\n"): (typeof documents)["\n  query IncidentPage($id: ID!) {\n    node(id: $id) {\n      ... on Incident {\n        id title severity status openedAt ackedAt resolvedAt assigneeId\n        monitor { id name }\n        timeline(first: 100) { edges { node { id at kind actorId message } } }\n      }\n    }\n    viewer { user { id email } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AckIncident($id: ID!) { acknowledgeIncident(id: $id) { incident { id status ackedAt } userErrors { field message code } } }"): (typeof documents)["mutation AckIncident($id: ID!) { acknowledgeIncident(id: $id) { incident { id status ackedAt } userErrors { field message code } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ResolveIncident($id: ID!) { resolveIncident(id: $id) { incident { id status resolvedAt } userErrors { field message code } } }"): (typeof documents)["mutation ResolveIncident($id: ID!) { resolveIncident(id: $id) { incident { id status resolvedAt } userErrors { field message code } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AssignIncident($id: ID!, $assigneeId: ID) { assignIncident(id: $id, assigneeId: $assigneeId) { incident { id assigneeId } userErrors { field message code } } }"): (typeof documents)["mutation AssignIncident($id: ID!, $assigneeId: ID) { assignIncident(id: $id, assigneeId: $assigneeId) { incident { id assigneeId } userErrors { field message code } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CommentIncident($id: ID!, $text: String!) { commentOnIncident(id: $id, text: $text) { incident { id } userErrors { field message code } } }"): (typeof documents)["mutation CommentIncident($id: ID!, $text: String!) { commentOnIncident(id: $id, text: $text) { incident { id } userErrors { field message code } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Incidents($where: IncidentWhereInput) {\n    incidents(first: 100, where: $where, orderBy: { field: OPENED_AT, direction: DESC }) {\n      totalCount\n      edges { node { id title severity status openedAt ackedAt resolvedAt tenantId } }\n    }\n  }\n"): (typeof documents)["\n  query Incidents($where: IncidentWhereInput) {\n    incidents(first: 100, where: $where, orderBy: { field: OPENED_AT, direction: DESC }) {\n      totalCount\n      edges { node { id title severity status openedAt ackedAt resolvedAt tenantId } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription IncidentUpdated {\n    incidentUpdated { id title severity status openedAt ackedAt resolvedAt tenantId }\n  }\n"): (typeof documents)["\n  subscription IncidentUpdated {\n    incidentUpdated { id title severity status openedAt ackedAt resolvedAt tenantId }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AcceptInvitation($input: AcceptInvitationInput!) {\n    acceptInvitation(input: $input) {\n      membership { id role tenant { name } }\n      userErrors { field message code }\n    }\n  }\n"): (typeof documents)["\n  mutation AcceptInvitation($input: AcceptInvitationInput!) {\n    acceptInvitation(input: $input) {\n      membership { id role tenant { name } }\n      userErrors { field message code }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MonitorEdit($id: ID!) {\n    node(id: $id) {\n      ... on Monitor { id name kind settings intervalSeconds timeoutMs failuresBeforeDown successesBeforeRecovery slaTarget }\n    }\n  }\n"): (typeof documents)["\n  query MonitorEdit($id: ID!) {\n    node(id: $id) {\n      ... on Monitor { id name kind settings intervalSeconds timeoutMs failuresBeforeDown successesBeforeRecovery slaTarget }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateMonitor($id: ID!, $input: MonitorInput!) {\n    updateMonitor(id: $id, input: $input) {\n      monitor { id name settings intervalSeconds timeoutMs failuresBeforeDown successesBeforeRecovery slaTarget }\n      userErrors { field message code }\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateMonitor($id: ID!, $input: MonitorInput!) {\n    updateMonitor(id: $id, input: $input) {\n      monitor { id name settings intervalSeconds timeoutMs failuresBeforeDown successesBeforeRecovery slaTarget }\n      userErrors { field message code }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AssetsForMonitor {\n    assets(first: 100, orderBy: { field: NAME, direction: ASC }) { edges { node { id name } } }\n  }\n"): (typeof documents)["\n  query AssetsForMonitor {\n    assets(first: 100, orderBy: { field: NAME, direction: ASC }) { edges { node { id name } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateMonitor($input: MonitorInput!) {\n    createMonitor(input: $input) {\n      monitor { id }\n      heartbeatUrl\n      userErrors { field message code }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateMonitor($input: MonitorInput!) {\n    createMonitor(input: $input) {\n      monitor { id }\n      heartbeatUrl\n      userErrors { field message code }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MonitorPage($id: ID!, $from: Time!, $to: Time!) {\n    node(id: $id) {\n      ... on Monitor {\n        id name kind status paused statusSince lastMessage intervalSeconds settings\n        asset { id name }\n        uptime(from: $from, to: $to) { uptimePercent p95Ms checks }\n        results(from: $from, to: $to, first: 500) { nodes { checkedAt status latencyMs reason message } }\n      }\n    }\n  }\n"): (typeof documents)["\n  query MonitorPage($id: ID!, $from: Time!, $to: Time!) {\n    node(id: $id) {\n      ... on Monitor {\n        id name kind status paused statusSince lastMessage intervalSeconds settings\n        asset { id name }\n        uptime(from: $from, to: $to) { uptimePercent p95Ms checks }\n        results(from: $from, to: $to, first: 500) { nodes { checkedAt status latencyMs reason message } }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation PauseOne($id: ID!) { pauseMonitor(id: $id) { monitor { id paused status } userErrors { field message code } } }"): (typeof documents)["mutation PauseOne($id: ID!) { pauseMonitor(id: $id) { monitor { id paused status } userErrors { field message code } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RunOne($id: ID!) { runMonitor(id: $id) { monitor { id } userErrors { field message code } } }"): (typeof documents)["mutation RunOne($id: ID!) { runMonitor(id: $id) { monitor { id } userErrors { field message code } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ResumeOne($id: ID!) { resumeMonitor(id: $id) { monitor { id paused status } userErrors { field message code } } }"): (typeof documents)["mutation ResumeOne($id: ID!) { resumeMonitor(id: $id) { monitor { id paused status } userErrors { field message code } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription MonitorPageState {\n    monitorStateChanged { id status paused lastCheckedAt }\n  }\n"): (typeof documents)["\n  subscription MonitorPageState {\n    monitorStateChanged { id status paused lastCheckedAt }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MonitorsPage($first: Int!, $after: Cursor, $where: MonitorWhereInput) {\n    monitors(first: $first, after: $after, where: $where, orderBy: { field: NAME, direction: ASC }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name kind status paused lastCheckedAt lastLatencyUs tenantId } }\n    }\n  }\n"): (typeof documents)["\n  query MonitorsPage($first: Int!, $after: Cursor, $where: MonitorWhereInput) {\n    monitors(first: $first, after: $after, where: $where, orderBy: { field: NAME, direction: ASC }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name kind status paused lastCheckedAt lastLatencyUs tenantId } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription MonitorStateChanged {\n    monitorStateChanged { id status paused lastCheckedAt lastLatencyUs }\n  }\n"): (typeof documents)["\n  subscription MonitorStateChanged {\n    monitorStateChanged { id status paused lastCheckedAt lastLatencyUs }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation PauseMonitor($id: ID!) { pauseMonitor(id: $id) { monitor { id paused status } userErrors { field message code } } }"): (typeof documents)["mutation PauseMonitor($id: ID!) { pauseMonitor(id: $id) { monitor { id paused status } userErrors { field message code } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ResumeMonitor($id: ID!) { resumeMonitor(id: $id) { monitor { id paused status } userErrors { field message code } } }"): (typeof documents)["mutation ResumeMonitor($id: ID!) { resumeMonitor(id: $id) { monitor { id paused status } userErrors { field message code } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation DeleteMonitor($id: ID!) { deleteMonitor(id: $id) { userErrors { field message code } } }"): (typeof documents)["mutation DeleteMonitor($id: ID!) { deleteMonitor(id: $id) { userErrors { field message code } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CustomerOverview($after: Cursor) {\n    customerOverview(first: 100, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          tenant { id name status }\n          monitors\n          monitorsDown\n          openIncidents\n          slasAtRisk\n          openAlerts { critical high medium low info }\n          planUsage { planName monitorsUsed monitorsAllowed eventsToday eventBytesToday eventBytesAllowedPerDay }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query CustomerOverview($after: Cursor) {\n    customerOverview(first: 100, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          tenant { id name status }\n          monitors\n          monitorsDown\n          openIncidents\n          slasAtRisk\n          openAlerts { critical high medium low info }\n          planUsage { planName monitorsUsed monitorsAllowed eventsToday eventBytesToday eventBytesAllowedPerDay }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query StatusPages {\n    statusPages(first: 100) { edges { node { id slug title monitorIds } } }\n    monitors(first: 100, orderBy: { field: NAME, direction: ASC }) { edges { node { id name tenantId } } }\n    viewer { actingTenant { id } }\n  }\n"): (typeof documents)["\n  query StatusPages {\n    statusPages(first: 100) { edges { node { id slug title monitorIds } } }\n    monitors(first: 100, orderBy: { field: NAME, direction: ASC }) { edges { node { id name tenantId } } }\n    viewer { actingTenant { id } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PublishStatusPage($input: StatusPageInput!) {\n    publishStatusPage(input: $input) { statusPage { id slug } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation PublishStatusPage($input: StatusPageInput!) {\n    publishStatusPage(input: $input) { statusPage { id slug } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UnpublishStatusPage($id: ID!) {\n    unpublishStatusPage(id: $id) { statusPage { id } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation UnpublishStatusPage($id: ID!) {\n    unpublishStatusPage(id: $id) { statusPage { id } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {\n    changePassword(currentPassword: $currentPassword, newPassword: $newPassword) { ok userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {\n    changePassword(currentPassword: $currentPassword, newPassword: $newPassword) { ok userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminAudit($tenantId: ID!, $after: Cursor, $action: String, $actorId: String) {\n    auditLog(tenantId: $tenantId, first: 25, after: $after, action: $action, actorId: $actorId) {\n      edges { node { id seq createdAt actorType actorId action targetId ip } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query AdminAudit($tenantId: ID!, $after: Cursor, $action: String, $actorId: String) {\n    auditLog(tenantId: $tenantId, first: 25, after: $after, action: $action, actorId: $actorId) {\n      edges { node { id seq createdAt actorType actorId action targetId ip } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AuditActing { viewer { actingTenant { id } } }\n"): (typeof documents)["\n  query AuditActing { viewer { actingTenant { id } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminTeam($tenantId: ID!, $after: Cursor) {\n    memberships(tenantId: $tenantId, first: 25, after: $after) {\n      edges { node { id role user { id email name } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query AdminTeam($tenantId: ID!, $after: Cursor) {\n    memberships(tenantId: $tenantId, first: 25, after: $after) {\n      edges { node { id role user { id email name } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminKeys($tenantId: ID!) {\n    apiKeys(tenantId: $tenantId, first: 100) {\n      edges { node { id name prefix scopes createdAt lastUsedAt revokedAt expiresAt } }\n    }\n  }\n"): (typeof documents)["\n  query AdminKeys($tenantId: ID!) {\n    apiKeys(tenantId: $tenantId, first: 100) {\n      edges { node { id name prefix scopes createdAt lastUsedAt revokedAt expiresAt } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminInvitations($tenantId: ID!) {\n    invitations(tenantId: $tenantId, pending: true, first: 100) {\n      totalCount\n      edges { node { id email role createdAt expiresAt } }\n    }\n  }\n"): (typeof documents)["\n  query AdminInvitations($tenantId: ID!) {\n    invitations(tenantId: $tenantId, pending: true, first: 100) {\n      totalCount\n      edges { node { id email role createdAt expiresAt } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdminRevokeInvitation($id: ID!) {\n    revokeInvitation(id: $id) { invitation { id revokedAt } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation AdminRevokeInvitation($id: ID!) {\n    revokeInvitation(id: $id) { invitation { id revokedAt } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminActing { viewer { actingTenant { id name } } }\n"): (typeof documents)["\n  query AdminActing { viewer { actingTenant { id name } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdminInvite($input: InviteUserInput!) {\n    inviteUser(input: $input) { token mailed invitation { id email } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation AdminInvite($input: InviteUserInput!) {\n    inviteUser(input: $input) { token mailed invitation { id email } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdminSetRole($id: ID!, $role: Role!) {\n    updateMembership(id: $id, role: $role) { membership { id role } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation AdminSetRole($id: ID!, $role: Role!) {\n    updateMembership(id: $id, role: $role) { membership { id role } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdminRemoveMember($id: ID!) {\n    removeMembership(id: $id) { membership { id } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation AdminRemoveMember($id: ID!) {\n    removeMembership(id: $id) { membership { id } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdminCreateKey($input: CreateAPIKeyInput!) {\n    createAPIKey(input: $input) { secret apiKey { id name } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation AdminCreateKey($input: CreateAPIKeyInput!) {\n    createAPIKey(input: $input) { secret apiKey { id name } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdminRevokeKey($id: ID!) {\n    revokeAPIKey(id: $id) { apiKey { id revokedAt } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation AdminRevokeKey($id: ID!) {\n    revokeAPIKey(id: $id) { apiKey { id revokedAt } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminTenants($after: Cursor) {\n    viewer { actingTenant { id kind } }\n    tenants(first: 25, after: $after) {\n      edges { node { id name slug kind status parentId contactEmail } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query AdminTenants($after: Cursor) {\n    viewer { actingTenant { id kind } }\n    tenants(first: 25, after: $after) {\n      edges { node { id name slug kind status parentId contactEmail } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdminCreateTenant($input: CreateTenantInput!) {\n    createTenant(input: $input) { tenant { id name } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation AdminCreateTenant($input: CreateTenantInput!) {\n    createTenant(input: $input) { tenant { id name } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdminSuspendTenant($id: ID!) {\n    suspendTenant(id: $id) { tenant { id status } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation AdminSuspendTenant($id: ID!) {\n    suspendTenant(id: $id) { tenant { id status } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdminReactivateTenant($id: ID!) {\n    reactivateTenant(id: $id) { tenant { id status } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation AdminReactivateTenant($id: ID!) {\n    reactivateTenant(id: $id) { tenant { id status } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BillingPage($tenantId: ID!) {\n    billingAccount(tenantId: $tenantId) {\n      currency interval periodStart periodEnd discountPercent taxPercent creditBalance\n      version { id planId version baseFee components { meter model unitAmount per freeUnits } }\n    }\n    subscription(tenantId: $tenantId) { status inherited plan { id name maxMonitors minIntervalSeconds retentionDays eventsPerSecond maxConcurrency } }\n    currentUsage(tenantId: $tenantId) { meter quantity amount }\n    billingCollection(tenantId: $tenantId) { collection state subscriptionStatus }\n  }\n"): (typeof documents)["\n  query BillingPage($tenantId: ID!) {\n    billingAccount(tenantId: $tenantId) {\n      currency interval periodStart periodEnd discountPercent taxPercent creditBalance\n      version { id planId version baseFee components { meter model unitAmount per freeUnits } }\n    }\n    subscription(tenantId: $tenantId) { status inherited plan { id name maxMonitors minIntervalSeconds retentionDays eventsPerSecond maxConcurrency } }\n    currentUsage(tenantId: $tenantId) { meter quantity amount }\n    billingCollection(tenantId: $tenantId) { collection state subscriptionStatus }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BillingUsageHistory($tenantId: ID!, $from: Time!, $to: Time!, $after: Cursor) {\n    usageHistory(tenantId: $tenantId, from: $from, to: $to, first: 100, after: $after) {\n      edges { node { day meter quantity } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query BillingUsageHistory($tenantId: ID!, $from: Time!, $to: Time!, $after: Cursor) {\n    usageHistory(tenantId: $tenantId, from: $from, to: $to, first: 100, after: $after) {\n      edges { node { day meter quantity } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BillingInvoices($tenantId: ID!, $after: String) {\n    invoices(tenantId: $tenantId, first: 10, after: $after) {\n      nodes {\n        id number status currency periodStart periodEnd subtotal discount tax credit total\n        lines { kind description quantity freeUnits amount }\n      }\n      endCursor hasNextPage\n    }\n  }\n"): (typeof documents)["\n  query BillingInvoices($tenantId: ID!, $after: String) {\n    invoices(tenantId: $tenantId, first: 10, after: $after) {\n      nodes {\n        id number status currency periodStart periodEnd subtotal discount tax credit total\n        lines { kind description quantity freeUnits amount }\n      }\n      endCursor hasNextPage\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BillingActing { viewer { actingTenant { id kind name } } tenants(first: 100) { edges { node { id name kind } } } }\n"): (typeof documents)["\n  query BillingActing { viewer { actingTenant { id kind name } } tenants(first: 100) { edges { node { id name kind } } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BillingInvoiceDocument($tenantId: ID!, $invoiceId: ID!) {\n    invoiceDocument(tenantId: $tenantId, invoiceId: $invoiceId, format: \"pdf\") { filename contentType base64 }\n  }\n"): (typeof documents)["\n  query BillingInvoiceDocument($tenantId: ID!, $invoiceId: ID!) {\n    invoiceDocument(tenantId: $tenantId, invoiceId: $invoiceId, format: \"pdf\") { filename contentType base64 }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query BillingPortal($tenantId: ID!) { billingPortalUrl(tenantId: $tenantId) }"): (typeof documents)["query BillingPortal($tenantId: ID!) { billingPortalUrl(tenantId: $tenantId) }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BillingRevenue { revenue { tenantId currency recurring usage total } }\n"): (typeof documents)["\n  query BillingRevenue { revenue { tenantId currency recurring usage total } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BillingPriceBook($first: Int, $after: Cursor) {\n    priceBook(first: $first, after: $after) {\n      totalCount\n      edges { node { id planId version currency interval baseFee minimumCommitment components { meter model unitAmount per freeUnits } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query BillingPriceBook($first: Int, $after: Cursor) {\n    priceBook(first: $first, after: $after) {\n      totalCount\n      edges { node { id planId version currency interval baseFee minimumCommitment components { meter model unitAmount per freeUnits } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BillingPreview($tenantId: ID!, $versionId: ID!) {\n    previewPlanChange(tenantId: $tenantId, versionId: $versionId) { upgrade effectiveAt delta lines { description amount } }\n  }\n"): (typeof documents)["\n  query BillingPreview($tenantId: ID!, $versionId: ID!) {\n    previewPlanChange(tenantId: $tenantId, versionId: $versionId) { upgrade effectiveAt delta lines { description amount } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation BillingChangeVersion($tenantId: ID!, $versionId: ID!) {\n    changePriceVersion(tenantId: $tenantId, versionId: $versionId) { userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation BillingChangeVersion($tenantId: ID!, $versionId: ID!) {\n    changePriceVersion(tenantId: $tenantId, versionId: $versionId) { userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CompliancePage {\n    complianceFrameworks { id name version requirements { id } }\n    complianceControls { id title description requirements tests applicable justification status exceptions { id } }\n    complianceExceptions { id controlId reason expiresAt createdAt }\n    complianceRuns(first: 50) { id testId controlId status passed failed ranAt }\n    complianceReports(first: 50) { id framework format from to size createdAt sha256 }\n    complianceReportSchedule { frameworks channelIds set updatedAt }\n    complianceEvidence { id controlId name size sha256 createdAt contentType }\n  }\n"): (typeof documents)["\n  query CompliancePage {\n    complianceFrameworks { id name version requirements { id } }\n    complianceControls { id title description requirements tests applicable justification status exceptions { id } }\n    complianceExceptions { id controlId reason expiresAt createdAt }\n    complianceRuns(first: 50) { id testId controlId status passed failed ranAt }\n    complianceReports(first: 50) { id framework format from to size createdAt sha256 }\n    complianceReportSchedule { frameworks channelIds set updatedAt }\n    complianceEvidence { id controlId name size sha256 createdAt contentType }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query CompliancePosture { compliancePosture { tenantId tenantName passing failing notApplicable notTested } }"): (typeof documents)["query CompliancePosture { compliancePosture { tenantId tenantName passing failing notApplicable notTested } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ComplianceSetApplicability($input: ControlApplicabilityInput!) {\n    setControlApplicability(input: $input) { control { id applicable justification status } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation ComplianceSetApplicability($input: ControlApplicabilityInput!) {\n    setControlApplicability(input: $input) { control { id applicable justification status } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ComplianceAddException($input: ComplianceExceptionInput!) {\n    addComplianceException(input: $input) { exception { id } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation ComplianceAddException($input: ComplianceExceptionInput!) {\n    addComplianceException(input: $input) { exception { id } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ComplianceRunTests($from: Time!, $to: Time!) {\n    runComplianceTests(from: $from, to: $to) { runs { id } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation ComplianceRunTests($from: Time!, $to: Time!) {\n    runComplianceTests(from: $from, to: $to) { runs { id } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ComplianceGenerate($input: GenerateComplianceReportInput!) {\n    generateComplianceReport(input: $input) { report { id } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation ComplianceGenerate($input: GenerateComplianceReportInput!) {\n    generateComplianceReport(input: $input) { report { id } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ComplianceReportFile($id: ID!) { complianceReportFile(id: $id) { report { framework format } contentBase64 } }"): (typeof documents)["query ComplianceReportFile($id: ID!) { complianceReportFile(id: $id) { report { framework format } contentBase64 } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ComplianceAddEvidence($controlId: String!, $name: String!, $contentType: String, $contentBase64: String!) {\n    addComplianceEvidence(controlId: $controlId, name: $name, contentType: $contentType, contentBase64: $contentBase64) { evidence { id } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation ComplianceAddEvidence($controlId: String!, $name: String!, $contentType: String, $contentBase64: String!) {\n    addComplianceEvidence(controlId: $controlId, name: $name, contentType: $contentType, contentBase64: $contentBase64) { evidence { id } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ComplianceEvidenceContent($id: ID!) { complianceEvidenceContent(id: $id) { evidence { name contentType } contentBase64 } }"): (typeof documents)["query ComplianceEvidenceContent($id: ID!) { complianceEvidenceContent(id: $id) { evidence { name contentType } contentBase64 } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ComplianceSetSchedule($input: ComplianceReportScheduleInput!) {\n    setComplianceReportSchedule(input: $input) { schedule { frameworks set } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation ComplianceSetSchedule($input: ComplianceReportScheduleInput!) {\n    setComplianceReportSchedule(input: $input) { schedule { frameworks set } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Assets($first: Int, $after: Cursor, $where: AssetWhereInput) {\n    assets(first: $first, after: $after, where: $where, orderBy: { field: NAME, direction: ASC }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name kind address criticality site tags } }\n    }\n  }\n"): (typeof documents)["\n  query Assets($first: Int, $after: Cursor, $where: AssetWhereInput) {\n    assets(first: $first, after: $after, where: $where, orderBy: { field: NAME, direction: ASC }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name kind address criticality site tags } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateAssetView($input: AssetInput!) {\n    createAsset(input: $input) { asset { id name } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation CreateAssetView($input: AssetInput!) {\n    createAsset(input: $input) { asset { id name } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query NotificationChannels($first: Int, $after: Cursor) {\n    notificationChannels(first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name kind minSeverity states enabled } }\n    }\n  }\n"): (typeof documents)["\n  query NotificationChannels($first: Int, $after: Cursor) {\n    notificationChannels(first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name kind minSeverity states enabled } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateNotificationChannel($input: NotificationChannelInput!) {\n    createNotificationChannel(input: $input) { notificationChannel { id } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation CreateNotificationChannel($input: NotificationChannelInput!) {\n    createNotificationChannel(input: $input) { notificationChannel { id } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteNotificationChannel($id: ID!) {\n    deleteNotificationChannel(id: $id) { notificationChannel { id } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation DeleteNotificationChannel($id: ID!) {\n    deleteNotificationChannel(id: $id) { notificationChannel { id } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TestNotificationChannel($id: ID!) {\n    testNotificationChannel(id: $id) { delivered userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation TestNotificationChannel($id: ID!) {\n    testNotificationChannel(id: $id) { delivered userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query EscalationPolicies($first: Int, $after: Cursor) {\n    escalationPolicies(first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name repeat repeatAfterSeconds levels { delaySeconds targets } } }\n    }\n    notificationChannels(first: 100) { edges { node { id name kind } } }\n  }\n"): (typeof documents)["\n  query EscalationPolicies($first: Int, $after: Cursor) {\n    escalationPolicies(first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name repeat repeatAfterSeconds levels { delaySeconds targets } } }\n    }\n    notificationChannels(first: 100) { edges { node { id name kind } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateEscalationPolicy($input: EscalationPolicyInput!) {\n    createEscalationPolicy(input: $input) { escalationPolicy { id } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation CreateEscalationPolicy($input: EscalationPolicyInput!) {\n    createEscalationPolicy(input: $input) { escalationPolicy { id } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteEscalationPolicy($id: ID!) {\n    deleteEscalationPolicy(id: $id) { escalationPolicy { id } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation DeleteEscalationPolicy($id: ID!) {\n    deleteEscalationPolicy(id: $id) { escalationPolicy { id } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MaintenanceWindows($first: Int, $after: Cursor) {\n    maintenanceWindows(first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name startsAt endsAt recurrence timezone startTime durationSeconds assetIds monitorIds } }\n    }\n  }\n"): (typeof documents)["\n  query MaintenanceWindows($first: Int, $after: Cursor) {\n    maintenanceWindows(first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name startsAt endsAt recurrence timezone startTime durationSeconds assetIds monitorIds } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateMaintenanceWindow($input: MaintenanceWindowInput!) {\n    createMaintenanceWindow(input: $input) { maintenanceWindow { id } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation CreateMaintenanceWindow($input: MaintenanceWindowInput!) {\n    createMaintenanceWindow(input: $input) { maintenanceWindow { id } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation EndMaintenanceWindow($id: ID!, $input: MaintenanceWindowInput!) {\n    updateMaintenanceWindow(id: $id, input: $input) { maintenanceWindow { id endsAt } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation EndMaintenanceWindow($id: ID!, $input: MaintenanceWindowInput!) {\n    updateMaintenanceWindow(id: $id, input: $input) { maintenanceWindow { id endsAt } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query UptimeReport($from: Time!, $to: Time!, $first: Int, $after: Cursor) {\n    monitors(first: $first, after: $after, orderBy: { field: NAME, direction: ASC }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id\n          name\n          tenantId\n          uptime(from: $from, to: $to) { uptimePercent checks up down degraded downtimeSeconds p95Ms slaTarget slaBreached slaAllowedDowntimeSeconds }\n        }\n      }\n    }\n    tenants(first: 100) { edges { node { id name } } }\n  }\n"): (typeof documents)["\n  query UptimeReport($from: Time!, $to: Time!, $first: Int, $after: Cursor) {\n    monitors(first: $first, after: $after, orderBy: { field: NAME, direction: ASC }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id\n          name\n          tenantId\n          uptime(from: $from, to: $to) { uptimePercent checks up down degraded downtimeSeconds p95Ms slaTarget slaBreached slaAllowedDowntimeSeconds }\n        }\n      }\n    }\n    tenants(first: 100) { edges { node { id name } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SearchEvents($from: Time!, $to: Time!, $text: String, $first: Int, $after: String) {\n    securityEvents(from: $from, to: $to, text: $text, first: $first, after: $after) {\n      endCursor\n      hasNextPage\n      nodes { id timestamp dataset category action outcome severity hostName userName sourceIp destinationIp message }\n    }\n  }\n"): (typeof documents)["\n  query SearchEvents($from: Time!, $to: Time!, $text: String, $first: Int, $after: String) {\n    securityEvents(from: $from, to: $to, text: $text, first: $first, after: $after) {\n      endCursor\n      hasNextPage\n      nodes { id timestamp dataset category action outcome severity hostName userName sourceIp destinationIp message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query IndicatorLists {\n    indicatorLists(first: 100) { edges { node { id name kind description size edlPath } } }\n  }\n"): (typeof documents)["\n  query IndicatorLists {\n    indicatorLists(first: 100) { edges { node { id name kind description size edlPath } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Indicators($first: Int, $after: Cursor, $where: IndicatorWhereInput) {\n    indicators(first: $first, after: $after, where: $where) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id kind value source confidence tlp validUntil description } }\n    }\n  }\n"): (typeof documents)["\n  query Indicators($first: Int, $after: Cursor, $where: IndicatorWhereInput) {\n    indicators(first: $first, after: $after, where: $where) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id kind value source confidence tlp validUntil description } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AddIndicator($input: IndicatorInput!) {\n    addIndicator(input: $input) { indicator { id } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation AddIndicator($input: IndicatorInput!) {\n    addIndicator(input: $input) { indicator { id } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteIndicator($id: ID!) {\n    deleteIndicator(id: $id) { indicator { id } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation DeleteIndicator($id: ID!) {\n    deleteIndicator(id: $id) { indicator { id } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateIndicatorList($input: IndicatorListInput!) {\n    createIndicatorList(input: $input) { list { id } edlToken userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation CreateIndicatorList($input: IndicatorListInput!) {\n    createIndicatorList(input: $input) { list { id } edlToken userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Playbooks {\n    playbooks(first: 100) { edges { node { id name enabled trigger steps } } }\n  }\n"): (typeof documents)["\n  query Playbooks {\n    playbooks(first: 100) { edges { node { id name enabled trigger steps } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PlaybookRuns($first: Int, $after: Cursor, $where: PlaybookRunWhereInput) {\n    playbookRuns(first: $first, after: $after, where: $where) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id playbookId alertId status step createdAt finishedAt log } }\n    }\n  }\n"): (typeof documents)["\n  query PlaybookRuns($first: Int, $after: Cursor, $where: PlaybookRunWhereInput) {\n    playbookRuns(first: $first, after: $after, where: $where) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id playbookId alertId status step createdAt finishedAt log } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DetectionRules($first: Int, $after: Cursor, $where: DetectionRuleWhereInput) {\n    detectionRules(first: $first, after: $after, where: $where, orderBy: { field: TITLE, direction: ASC }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id ruleId title level kind global enabledForMe yaml } }\n    }\n  }\n"): (typeof documents)["\n  query DetectionRules($first: Int, $after: Cursor, $where: DetectionRuleWhereInput) {\n    detectionRules(first: $first, after: $after, where: $where, orderBy: { field: TITLE, direction: ASC }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id ruleId title level kind global enabledForMe yaml } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetDetectionRuleEnabled($id: ID!, $enabled: Boolean!) {\n    setDetectionRuleEnabled(id: $id, enabled: $enabled) { rule { id enabledForMe } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation SetDetectionRuleEnabled($id: ID!, $enabled: Boolean!) {\n    setDetectionRuleEnabled(id: $id, enabled: $enabled) { rule { id enabledForMe } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ImportDetectionRule($input: DetectionRuleInput!) {\n    saveDetectionRule(input: $input) { rule { id title } userErrors { field message code } }\n  }\n"): (typeof documents)["\n  mutation ImportDetectionRule($input: DetectionRuleInput!) {\n    saveDetectionRule(input: $input) { rule { id title } userErrors { field message code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TestDetectionRule($rule: String!, $events: [JSON!]!) {\n    testDetectionRule(rule: $rule, events: $events) { ruleId title error matches correlations }\n  }\n"): (typeof documents)["\n  mutation TestDetectionRule($rule: String!, $events: [JSON!]!) {\n    testDetectionRule(rule: $rule, events: $events) { ruleId title error matches correlations }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;