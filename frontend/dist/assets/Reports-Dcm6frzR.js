import{P as e,a as t,d as n,j as r,r as i,s as a,x as o}from"./index-Bt6lsrYh.js";import{n as s,t as c}from"./Pager-DxdIeM-d.js";var l=e(r(),1),u=n(),d=i(`
  query UptimeReport($from: Time!, $to: Time!, $first: Int, $after: Cursor) {
    monitors(first: $first, after: $after, orderBy: { field: NAME, direction: ASC }) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          name
          tenantId
          uptime(from: $from, to: $to) { uptimePercent checks up down degraded downtimeSeconds p95Ms slaTarget slaBreached slaAllowedDowntimeSeconds }
        }
      }
    }
    tenants(first: 100) { edges { node { id name } } }
  }
`);function f(e){return e.toISOString().slice(0,10)}var p=e=>e==null?`—`:e.toFixed(3),m=e=>e==null?`—`:e.toFixed(0),h=[`Tenant`,`Monitor`,`Uptime %`,`Checks`,`Up`,`Degraded`,`Down`,`Downtime (s)`,`p95 (ms)`,`SLA target %`,`SLA allowed downtime (s)`,`SLA`];function g(e){return/[",\n\r]/.test(e)?`"${e.replaceAll(`"`,`""`)}"`:e}function _(){let e=new Date,[n,r]=(0,l.useState)(f(new Date(e.getTime()-2592e6))),[i,_]=(0,l.useState)(f(new Date(e.getTime()+864e5))),[v,y]=(0,l.useState)({from:`${n}T00:00:00Z`,to:`${i}T00:00:00Z`}),[b,x]=(0,l.useState)(``),S=s(),[{data:C,error:w,fetching:T}]=o({query:d,variables:{...v,first:25,after:S.after}}),E=new Map((C?.tenants.edges??[]).flatMap(e=>e?.node?[[e.node.id,e.node.name]]:[])),D=(0,l.useMemo)(()=>(C?.monitors.edges??[]).flatMap(e=>{let t=e?.node;if(!t)return[];let n=t.uptime;return[[E.get(t.tenantId)??t.tenantId,t.name,p(n.uptimePercent),String(n.checks),String(n.up),String(n.degraded),String(n.down),m(n.downtimeSeconds),m(n.p95Ms),p(n.slaTarget),m(n.slaAllowedDowntimeSeconds),n.slaBreached===null||n.slaBreached===void 0?`no target`:n.slaBreached?`breached`:`met`]]}),[C,E]),O=[h,...D].map(e=>e.map(g).join(`,`)).join(`\r
`)+`\r
`,k=(0,l.useMemo)(()=>URL.createObjectURL(new Blob([O],{type:`text/csv`})),[O]);function A(e){if(e.preventDefault(),!n||!i||i<=n)return x(`The end must be after the start.`);x(``),S.reset(),y({from:`${n}T00:00:00Z`,to:`${i}T00:00:00Z`})}return(0,u.jsxs)(`section`,{children:[(0,u.jsx)(`h1`,{children:`Uptime and SLA report`}),(0,u.jsxs)(`form`,{onSubmit:A,noValidate:!0,className:`toolbar`,children:[(0,u.jsx)(t,{id:`rep-from`,label:`From (UTC day)`,children:(0,u.jsx)(`input`,{id:`rep-from`,type:`date`,value:n,onChange:e=>r(e.target.value)})}),(0,u.jsx)(t,{id:`rep-to`,label:`To (UTC day, not included)`,error:b,children:(0,u.jsx)(`input`,{id:`rep-to`,type:`date`,value:i,onChange:e=>_(e.target.value)})}),(0,u.jsx)(`button`,{type:`submit`,children:`Show`})]}),(0,u.jsx)(a,{error:w}),T&&(0,u.jsx)(`p`,{className:`loading`,children:`Loading…`}),C&&(0,u.jsxs)(`p`,{children:[C.monitors.totalCount,` monitors, `,v.from.slice(0,10),` to `,v.to.slice(0,10),`.`,` `,(0,u.jsx)(`a`,{href:k,download:`uptime-${v.from.slice(0,10)}-${v.to.slice(0,10)}-page${S.page}.csv`,children:`Download this page as CSV`})]}),(0,u.jsxs)(`table`,{className:`grid`,"aria-label":`Uptime report`,children:[(0,u.jsx)(`thead`,{children:(0,u.jsx)(`tr`,{children:h.map(e=>(0,u.jsx)(`th`,{scope:`col`,children:e},e))})}),(0,u.jsx)(`tbody`,{children:D.map((e,t)=>(0,u.jsx)(`tr`,{"data-testid":`report-row`,children:e.map((e,t)=>(0,u.jsx)(`td`,{children:e},t))},t))})]}),C&&D.length===0&&(0,u.jsx)(`p`,{children:`No monitor.`}),(0,u.jsx)(c,{label:`Report`,page:S.page,total:C?.monitors.totalCount,info:C?.monitors.pageInfo,onPrev:S.prev,onNext:()=>S.next(C?.monitors.pageInfo)})]})}export{_ as default};