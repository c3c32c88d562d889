//! The report's stylesheet, inline so that the file stands alone.

pub const STYLE: &str = "body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:2rem auto;max-width:1100px;color:#1d2733}\
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #1f5fa8;padding-bottom:.2rem;margin-top:2.2rem}\
.en{color:#5a6775;font-size:.9em}.meta,.note{color:#5a6775;font-size:.85em}\
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:.8rem}\
.card{border:1px solid #d5dde6;border-radius:8px;padding:.8rem;background:#f6f9fc}\
.card .value{font-size:1.6em;font-weight:600;color:#1f5fa8}.card .interval{font-size:.8em;color:#5a6775}\
table{border-collapse:collapse;width:100%;font-size:.9em}th,td{border-bottom:1px solid #e3e8ee;padding:.35rem;text-align:left;vertical-align:top}\
td.num{text-align:right;white-space:nowrap}td.id{font-family:monospace}td.lineage{font-size:.8em;color:#5a6775}\
.chart{margin:1rem 0}.bar{fill:#d9762b}.label,.value{font-size:12px;fill:#1d2733}\
.tick{font-size:10px;fill:#5a6775}.grid{stroke:#e4e8ec}.axis{stroke:#5a6775}.err{stroke:#1d2733;stroke-width:1.2}\
.unit{color:#5a6775;font-size:.85em}figcaption.source{color:#5a6775;font-size:.8em}";
