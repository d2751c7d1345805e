import{P as e,a as t,b as n,c as r,d as i,j as a,l as o,n as s,r as c,s as l,x as u}from"./index-Bt6lsrYh.js";var d=e(a(),1),f=i(),p=c(`
  query StatusPages {
    statusPages(first: 100) { edges { node { id slug title monitorIds } } }
    monitors(first: 100, orderBy: { field: NAME, direction: ASC }) { edges { node { id name tenantId } } }
    viewer { actingTenant { id } }
  }
`),m=c(`
  mutation PublishStatusPage($input: StatusPageInput!) {
    publishStatusPage(input: $input) { statusPage { id slug } userErrors { field message code } }
  }
`),h=c(`
  mutation UnpublishStatusPage($id: ID!) {
    unpublishStatusPage(id: $id) { statusPage { id } userErrors { field message code } }
  }
`);function g(){let e=s(),[{data:i,error:a},c]=u({query:p}),[,g]=n(m),[,_]=n(h),[v,y]=(0,d.useState)(``),[b,x]=(0,d.useState)(``),[S,C]=(0,d.useState)([]),[w,T]=(0,d.useState)({}),E=r(e.permissions,`noc:write`),D=(i?.statusPages.edges??[]).flatMap(e=>e?.node?[e.node]:[]),O=i?.viewer.actingTenant.id,k=(i?.monitors.edges??[]).flatMap(e=>e?.node&&e.node.tenantId===O?[e.node]:[]);async function A(e){e.preventDefault();let t=await g({input:{slug:v,title:b,monitorIds:S}});if(t.error)return T({"":t.error.message});let n=o(t.data?.publishStatusPage.userErrors);T(n),Object.keys(n).length||c({requestPolicy:`network-only`})}return(0,f.jsxs)(`section`,{children:[(0,f.jsx)(`h1`,{children:`Status pages`}),(0,f.jsx)(l,{error:a}),(0,f.jsx)(`ul`,{children:D.map(e=>(0,f.jsxs)(`li`,{children:[(0,f.jsx)(`a`,{href:`/status/${e.slug}`,children:e.title}),` `,(0,f.jsxs)(`code`,{children:[`/status/`,e.slug]}),` · `,e.monitorIds?.length??0,` monitors`,` `,E&&(0,f.jsxs)(`button`,{type:`button`,onClick:()=>void _({id:e.id}).then(()=>c({requestPolicy:`network-only`})),children:[`Unpublish `,e.slug]})]},e.id))}),D.length===0&&(0,f.jsx)(`p`,{children:`No status page yet.`}),E&&(0,f.jsxs)(`form`,{onSubmit:A,noValidate:!0,className:`form`,children:[(0,f.jsx)(`h2`,{children:`Publish a page`}),(0,f.jsx)(t,{id:`slug`,label:`Address: /status/…`,error:w.slug,children:(0,f.jsx)(`input`,{id:`slug`,value:v,onChange:e=>y(e.target.value)})}),(0,f.jsx)(t,{id:`title`,label:`Title`,error:w.title,children:(0,f.jsx)(`input`,{id:`title`,value:b,onChange:e=>x(e.target.value)})}),(0,f.jsxs)(`fieldset`,{children:[(0,f.jsx)(`legend`,{children:`Monitors shown`}),w.monitorIds&&(0,f.jsx)(`p`,{className:`field-error`,role:`alert`,children:w.monitorIds}),k.map(e=>(0,f.jsxs)(`label`,{className:`check`,children:[(0,f.jsx)(`input`,{type:`checkbox`,checked:S.includes(e.id),onChange:t=>C(t.target.checked?[...S,e.id]:S.filter(t=>t!==e.id))}),` `,e.name]},e.id))]}),w[``]&&(0,f.jsx)(`p`,{className:`error`,role:`alert`,children:w[``]}),(0,f.jsx)(`button`,{type:`submit`,children:`Publish`})]})]})}export{g as default};