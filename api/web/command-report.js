// Printable monthly evaluation report (月度综合评价报告) from
// GET /api/v1/stats, with CSV and XLSX downloads. The session cookie
// authenticates the calls; after a 401 the page goes to sign in, after a
// 429 it stops and says so, instead of calling again.
const params = new URLSearchParams(location.search);
localStorage.removeItem('citygrid.token');
const pct = (v) => (v === null || v === undefined ? '—' : (v * 100).toFixed(2) + '%');
const pp = (v) => (v === null || v === undefined ? '' : (v >= 0 ? '+' : '') + (v * 100).toFixed(2));
// The month list is written out in Chinese (an <input type=month> shows
// the browser's language): this month and the 23 before it, last month
// chosen unless the link names one.
const month = document.getElementById('month');
const now = new Date(Date.now() + 8 * 3600000);
for (let i = 0; i < 24; i++) {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1));
  const o = document.createElement('option');
  o.value = d.toISOString().slice(0, 7);
  o.textContent = `${d.getUTCFullYear()} 年 ${d.getUTCMonth() + 1} 月${i === 0 ? '（本月）' : ''}`;
  month.append(o);
}
const wanted = params.get('month');
month.value = wanted && [...month.options].some((o) => o.value === wanted) ? wanted : month.options[1].value;

let stopped = false;
async function get(q, path = '/api/v1/stats') {
  if (stopped) throw new Error('已暂停');
  const r = await fetch(path + '?' + q, { credentials: 'same-origin', cache: 'no-store' });
  if (r.status === 401) {
    stopped = true;
    location.assign('/login?next=' + encodeURIComponent(location.pathname));
    throw new Error('未登录');
  }
  if (r.status === 429) {
    stopped = true;
    throw new Error(`请求过多，请约 ${r.headers.get('Retry-After') || 60} 秒后刷新页面`);
  }
  if (r.status === 403) throw new Error('当前账号的角色无权查看此报告');
  if (!r.ok) throw new Error(`服务器答复 ${r.status}`);
  return r;
}

function table(id, rows, cols) {
  const t = document.getElementById(id);
  const head = '<thead><tr>' + cols.map((c) => `<th>${c[0]}</th>`).join('') + '</tr></thead>';
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  t.innerHTML = head + '<tbody>' + rows.map((r) => '<tr>' + cols.map((c) => `<td>${esc(c[1](r))}</td>`).join('') + '</tr>').join('') + '</tbody>';
}

const scored = [
  ['排名', (r) => r.rank || '—'], ['名称', (r) => r.name || r.key || '(未派遣)'], ['立案', (r) => r.registered],
  ['应结案', (r) => r.due_for_closure], ['结案', (r) => r.closed], ['按期结案', (r) => r.closed_on_time],
  ['超期', (r) => r.overdue], ['结案率', (r) => pct(r.closure_rate)], ['按期结案率', (r) => pct(r.on_time_closure_rate)],
  ['返工率', (r) => pct(r.rework_rate)], ['综合指标值', (r) => (r.score ?? '—')], ['等级', (r) => r.grade || ''],
  ['结案率环比', (r) => pp(r.change?.closure_rate)], ['类别', (r) => r.class || ''], ['类内排名', (r) => r.class_rank || (r.class ? '—' : '')],
  ['督办', (r) => r.urged], ['回访满意率', (r) => pct(r.satisfaction_rate)], ['申诉采纳', (r) => r.appeals_accepted],
];
const byRank = (a, b) => (a.rank || 1e9) - (b.rank || 1e9) || b.registered - a.registered;

async function load() {
  const [y, m] = month.value.split('-').map(Number);
  document.getElementById('title').textContent = `${y} 年 ${m} 月 城市管理综合评价报告`;
  const q = `period=month&date=${month.value}-01`;
  try {
    const [st, dp, un, ca, gr, ps] = await Promise.all(['street', 'department', 'unit', 'category', 'grid', 'post'].map((g) => get(`group=${g}&${q}`).then((r) => r.json())));
    const t = st.total;
    document.getElementById('summary').textContent =
      `上报 ${t.reported} 件，立案 ${t.registered} 件，应结案 ${t.due_for_closure} 件，结案 ${t.closed} 件（结案率 ${pct(t.closure_rate)}），` +
      `按期结案 ${t.closed_on_time} 件（按期结案率 ${pct(t.on_time_closure_rate)}），超期未结案 ${t.overdue} 件，返工 ${t.reworked} 次，回退 ${t.returned} 次，平均处置 ${t.avg_handling_hours ?? '—'} 小时。` +
      `督办 ${t.urged} 次；回访 ${t.followed_up} 件，满意及基本满意 ${t.satisfied} 件（回访满意率 ${pct(t.satisfaction_rate)}）。` +
      (t.appeals_accepted ? `经中心审核采纳申诉 ${t.appeals_accepted} 项，相应超期、返工、回退已不计入考核。` : '');
    table('t-street', st.rows.filter((r) => r.key).sort(byRank), scored);
    table('t-department', dp.rows.filter((r) => r.key).sort(byRank), scored);
    table('t-unit', un.rows.filter((r) => r.key).sort(byRank), scored);
    const top = (rows) => rows.filter((r) => r.key && r.registered).sort((a, b) => b.registered - a.registered).slice(0, 10);
    const topCols = [['名称', (r) => r.name || r.key], ['代码', (r) => r.key], ['立案', (r) => r.registered], ['环比', (r) => (r.change ? (r.change.registered >= 0 ? '+' : '') + r.change.registered : '')], ['结案率', (r) => pct(r.closure_rate)]];
    table('t-category', top(ca.rows), topCols);
    table('t-grid', top(gr.rows), topCols);
    // 岗位评价 (group=post): ranked people of each post, best first.
    const post = (name) => ps.rows.filter((r) => r.post === name && r.rank).slice(0, 30);
    const score = [['综合指标值', (r) => r.score ?? '—'], ['等级', (r) => r.grade || ''], ['环比', (r) => (r.score_change == null ? '' : (r.score_change >= 0 ? '+' : '') + r.score_change.toFixed(2))]];
    const first = (label) => [['排名', (r) => r.rank], [label + '（账号）', (r) => r.user]];
    table('t-inspector', post('inspector'), [...first('监督员'), ['上报', (r) => r.reports], ['有效上报率', (r) => pct(r.valid_report_rate)],
      ['漏报率', (r) => pct(r.missed_report_rate)], ['核实', (r) => r.verified], ['按时核实率', (r) => pct(r.on_time_verify_rate)],
      ['核查', (r) => r.checked], ['按时核查率', (r) => pct(r.on_time_check_rate)], ...score]);
    table('t-operator', post('operator'), [...first('受理员'), ['受理', (r) => r.accepted], ['核实派发', (r) => r.verify_sent],
      ['核实按时派发率', (r) => pct(r.verify_sent_on_time_rate)], ['核查派发', (r) => r.check_sent], ['核查按时派发率', (r) => pct(r.check_sent_on_time_rate)], ...score]);
    table('t-supervisor', post('supervisor'), [...first('值班长'), ['立案', (r) => r.registered], ['按时立案率', (r) => pct(r.on_time_register_rate)],
      ['作废', (r) => r.registered_cancelled], ['准确立案率', (r) => pct(r.accurate_register_rate)], ['结案', (r) => r.closed], ['按时结案率', (r) => pct(r.on_time_close_rate)], ...score]);
    table('t-dispatcher', post('dispatcher'), [...first('派遣员'), ['派遣', (r) => r.dispatched], ['按时派遣率', (r) => pct(r.on_time_dispatch_rate)],
      ['被回退', (r) => r.dispatched_returned], ['准确派遣率', (r) => pct(r.accurate_dispatch_rate)], ...score]);
    // 首派准确率: first dispatches of the month that stuck, per small class, worst first.
    const acc = await get(`group=category&${q}`, '/api/v1/stats/dispatch-accuracy').then((r) => r.json());
    const at = acc.total;
    document.getElementById('accuracy-summary').textContent =
      `本月首次派遣 ${at.dispatched} 件，首派准确 ${at.stuck} 件，首派准确率 ${pct(at.accuracy)}；其中自动派遣 ${at.auto} 件，按规则派遣 ${at.followed} 件。`;
    table('t-accuracy', acc.rows.sort((a, b) => (a.accuracy ?? 1) - (b.accuracy ?? 1) || b.dispatched - a.dispatched).slice(0, 30),
      [['名称', (r) => r.name || r.key], ['代码', (r) => r.key], ['首次派遣', (r) => r.dispatched], ['首派准确', (r) => r.stuck],
        ['被回退', (r) => r.returned], ['自动派遣', (r) => r.auto], ['首派准确率', (r) => pct(r.accuracy)]]);
    document.body.dataset.loaded = month.value;
  } catch (e) {
    document.getElementById('error').textContent = '加载失败：' + e.message;
  }
}

month.addEventListener('change', load);
document.getElementById('print').addEventListener('click', () => window.print());
for (const b of document.querySelectorAll('button[data-format]')) {
  b.addEventListener('click', async () => {
    const group = b.dataset.group || b.dataset.accuracy;
    const path = b.dataset.accuracy ? '/api/v1/stats/dispatch-accuracy' : '/api/v1/stats';
    const r = await get(`group=${group}&period=month&date=${month.value}-01&format=${b.dataset.format}`, path);
    const url = URL.createObjectURL(await r.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = `citygrid-${b.dataset.accuracy ? 'dispatch-accuracy' : group}-${month.value}.${b.dataset.format}`;
    a.click();
    URL.revokeObjectURL(url);
  });
}
load();
