// Chinese words for the codes the API speaks, and date formatting in the
// centre's time zone (Beijing time, whatever the desk computer is set to).

export const stateLabels = {
  reported: '待受理',
  verified: '待立案',
  registered: '待派遣',
  not_registered: '不予立案',
  dispatched: '处置中',
  handled: '待核查',
  checked: '待结案',
  closed: '已结案',
  returned: '已回退',
  arbitration: '待仲裁',
  suspended: '挂账中',
  cancelled: '已作废',
};

export const actionLabels = {
  report: '上报',
  verify: '受理（核实通过）',
  register: '立案',
  not_register: '不予立案',
  dispatch: '派遣',
  handle: '处置反馈',
  check_pass: '核查通过',
  check_fail: '核查不通过（返工）',
  close: '结案',
  return: '回退',
  redispatch: '重新派遣',
  arbitrate: '仲裁',
  request_extension: '申请延期',
  approve_extension: '批准延期',
  reject_extension: '驳回延期',
  request_suspension: '申请挂账',
  reject_suspension: '驳回挂账',
  suspend: '挂账',
  resume: '挂账恢复',
  recalculate: '重算时限',
  cancel: '作废',
  link_duplicate: '关联重复上报',
};

export const sourceLabels = {
  inspector: '监督员上报',
  hotline: '热线电话',
  citizen: '公众举报',
  video: '视频发现',
  self: '自行处置',
};

// sourceShort names a source in a narrow queue column.
export const sourceShort = { inspector: '监督员', hotline: '热线', citizen: '公众', video: '视频', self: '自处置' };

export const roleLabels = {
  viewer: '只读',
  citizen: '公众',
  inspector: '监督员',
  operator: '受理员',
  supervisor: '值班长',
  dispatcher: '派遣员',
  unit: '处置单位',
  surveyor: '普查员',
  admin: '系统管理员',
};

export const urgencyLabels = { normal: '一般', urgent: '紧急' };
export const kindLabels = { component: '部件', event: '事件' };
export const limitUnitLabels = { working_hours: '工作时', working_days: '工作日', hours: '小时' };
export const lightLabels = { green: '正常', yellow: '即将超时', red: '已超时', '': '未计时' };

export const reasonRuleLabels = {
  component_maintainer: '部件养护单位',
  component_owner: '部件权属单位',
  rule_table: '责任规则表',
  category_department: '主管部门',
  fallback: '兜底单位',
};

export const label = (table, v) => (v in table ? table[v] : v || '—');

export function limitText(l) {
  if (!l || !l.amount) return '—';
  return `${l.amount} ${limitUnitLabels[l.unit] || l.unit}`;
}

const dtf = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', hour12: false,
});

// fmtTime writes an RFC 3339 time as 2026-12-07 14:05 (Beijing time).
export function fmtTime(v) {
  if (!v) return '—';
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return '—';
  const p = Object.fromEntries(dtf.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour === '24' ? '00' : p.hour}:${p.minute}`;
}

// fmtLeft says how long until (or since) a deadline, in words.
export function fmtLeft(v, now = Date.now()) {
  if (!v) return '';
  let ms = new Date(v).getTime() - now;
  const past = ms < 0;
  ms = Math.abs(ms);
  const min = Math.round(ms / 60000);
  let s;
  if (min < 60) s = `${min}分钟`;
  else if (min < 48 * 60) s = `${Math.floor(min / 60)}小时${min % 60}分`;
  else if (min < 7 * 1440) s = `${Math.floor(min / 1440)}天${Math.floor((min % 1440) / 60)}小时`;
  else s = `${Math.floor(min / 1440)}天`;
  return past ? `已超${s}` : `剩${s}`;
}

// lightOf is a case's traffic light: the server's, else from the share of
// the deadline used (green < 80 %, yellow 80–100 %, red overdue).
export function lightOf(c) {
  const p = c && c.progress;
  if (p && p.light) return p.light;
  if (p && p.overdue) return 'red';
  return '';
}
