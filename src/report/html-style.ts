/** Inline styles for the HTML report: one file, readable on screen and on paper. */
export const HTML_STYLE = `
body{font:15px/1.5 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#1d2433}
h1{margin:0}h2{border-bottom:2px solid #dde;padding-bottom:.2rem;margin-top:2.5rem}h3{margin:1.5rem 0 .5rem}
.meta,.why,.art{color:#5a6275;font-size:.85rem}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e4e6ee;padding:.45rem;text-align:left;vertical-align:top}
.st{display:inline-block;border-radius:.3rem;padding:0 .45rem;font-size:.8rem;font-weight:600;text-transform:uppercase}
.st.pass{background:#dff3e4;color:#17612f}.st.fail{background:#fbe0e0;color:#8a1c1c}.st.warn{background:#fff1cc;color:#7a5200}
.st.info{background:#e0eefb;color:#1c4f8a}.st.error{background:#f0e0fb;color:#5d1c8a}
.finding{border-left:4px solid #ccd;padding:.2rem .8rem;margin:.6rem 0;background:#fafbfd}
.finding.fail{border-color:#c33}.finding.warn{border-color:#d9a300}.finding.error{border-color:#8a3cc3}.finding.pass{border-color:#3a9c5a}
.finding p{margin:.3rem 0}.sev{font-size:.8rem;color:#5a6275}.id{font-size:.8rem;color:#5a6275;margin-left:.4rem}
.fix code{white-space:pre-wrap;word-break:break-all}

.grade{background:#f6f7fb;padding:.3rem .9rem;border-radius:.4rem;margin:.5rem 0}
pre{background:#f1f3f8;padding:.6rem;overflow:auto;font-size:.8rem;max-height:30rem}
@media print{details{display:block}details>*{display:block}}
`;
