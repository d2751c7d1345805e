import{b as e,d as t,i as n,r,s as i,u as a,w as o,x as s}from"./index-Btu-aJq7.js";var c=t(),l=r(`
  query Cases {
    cases(first: 100, orderBy: { field: OPENED_AT, direction: DESC }) {
      totalCount
      edges { node { id title severity status openedAt } }
    }
  }
`),u=r(`subscription CaseUpdated { caseUpdated { id title severity status openedAt } }`);function d(){let[{data:t,error:r},d]=e({query:l});s({query:u},(e,t)=>(d({requestPolicy:`network-only`}),t));let f=(t?.cases.edges??[]).flatMap(e=>e?.node?[e.node]:[]);return(0,c.jsxs)(`section`,{children:[(0,c.jsx)(`h1`,{children:`Cases`}),(0,c.jsx)(i,{error:r}),(0,c.jsxs)(`table`,{className:`grid`,"aria-label":`Cases`,children:[(0,c.jsx)(`thead`,{children:(0,c.jsxs)(`tr`,{children:[(0,c.jsx)(`th`,{scope:`col`,children:`Case`}),(0,c.jsx)(`th`,{scope:`col`,children:`Severity`}),(0,c.jsx)(`th`,{scope:`col`,children:`Status`}),(0,c.jsx)(`th`,{scope:`col`,children:`Opened`})]})}),(0,c.jsx)(`tbody`,{children:f.map(e=>(0,c.jsxs)(`tr`,{children:[(0,c.jsx)(`td`,{children:(0,c.jsx)(o,{to:`/cases/${e.id}`,children:e.title})}),(0,c.jsx)(`td`,{children:(0,c.jsx)(n,{value:e.severity})}),(0,c.jsx)(`td`,{children:(0,c.jsx)(n,{value:e.status})}),(0,c.jsx)(`td`,{children:a(e.openedAt)})]},e.id))})]}),f.length===0&&(0,c.jsx)(`p`,{children:`No case.`})]})}export{u as CaseUpdated,d as default};