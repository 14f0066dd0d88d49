// Action buttons come from the workflow the server publishes (GET
// /api/v1/cases/workflow): a screen names what it offers as intents, each
// with the action names that fulfil it, and the machine says whether the
// signed-in user may take it on this case now. A screen hard-codes no
// state or role rule, so a changed machine changes the buttons.
import { ElMessage, ElMessageBox } from 'element-plus';
import { act } from './api.js';
import { actionLabels, roleLabels, stateLabels } from './labels.js';
import { actingRoles, session } from './api.js';

// ruleOf finds the first of names that the machine knows, preferring one
// that leaves the case's state (dispatch, redispatch and arbitrate are one
// intent: send the case to a unit).
export function ruleOf(wf, names, c = null) {
  if (!wf) return null;
  const list = (Array.isArray(names) ? names : [names]).map((n) => wf.actions.find((a) => a.action === n)).filter(Boolean);
  return (c && list.find((r) => r.from.includes(c.state))) || list[0] || null;
}

// availability answers {rule, enabled, why}: why is the reason in Chinese
// when the button is disabled.
export function availability(wf, c, names) {
  const rule = ruleOf(wf, names, c);
  if (!wf) return { rule: null, enabled: false, why: '正在读取工作流…' };
  if (!rule) return { rule: null, enabled: false, why: '服务器尚未提供此操作' };
  if (!c) return { rule, enabled: false, why: '请先选择案件' };
  if (!rule.from.includes(c.state)) {
    return { rule, enabled: false, why: `案件当前为「${stateLabels[c.state] || c.state}」，不能${actionLabels[rule.action] || rule.action}` };
  }
  const mine = actingRoles();
  const admin = mine.includes('admin');
  if (!admin && !rule.roles.some((r) => mine.includes(r))) {
    return { rule, enabled: false, why: `需要${rule.roles.map((r) => roleLabels[r] || r).join('或')}岗位` };
  }
  if (!admin && rule.own_unit && mine.includes('unit') && c.unit !== session.user.department) {
    return { rule, enabled: false, why: '只能处理本单位的案件' };
  }
  return { rule, enabled: true, why: '' };
}

// run takes the action of an intent on case c. A required reason is asked
// for when fields has none. It answers the server's {case, transition}, or
// null when the user cancelled or the server refused (the message is
// shown).
export async function run(wf, c, names, fields = {}, opts = {}) {
  const { rule, enabled, why } = availability(wf, c, names);
  if (!enabled) {
    ElMessage.warning(why);
    return null;
  }
  const body = { ...fields };
  if (rule.reason_required && !body.note) {
    try {
      const { value } = await ElMessageBox.prompt(opts.reasonPrompt || '请填写原因', actionLabels[rule.action] || rule.action, {
        inputType: 'textarea',
        inputPlaceholder: opts.reasonPlaceholder || '原因（必填）',
        inputValidator: (v) => (v && v.trim() ? true : '原因不能为空'),
        confirmButtonText: '确定',
        cancelButtonText: '取消',
        customClass: 'reason-box',
      });
      body.note = value.trim();
    } catch {
      return null;
    }
  }
  if (rule.unit_required && !body.unit) {
    ElMessage.warning('请选择处置单位');
    return null;
  }
  try {
    const res = await act(c, rule.action, body);
    ElMessage.success(`${c.number}：已${actionLabels[rule.action] || rule.action}`);
    return res;
  } catch (e) {
    showError(e);
    return null;
  }
}

// showError says what went wrong in words a desk worker reads.
export function showError(e) {
  if (e.status === 409) {
    ElMessage.error(`案件已被他人处理或状态已变化，请刷新后再试（${e.message}）`);
  } else if (e.status === 403) {
    ElMessage.error(`无权执行此操作（${e.message}）`);
  } else if (e.status === 429) {
    ElMessage.error(`操作过于频繁，请 ${e.retryAfter} 秒后再试`);
  } else if (e.status === 401) {
    ElMessage.warning('登录已失效，请重新登录');
  } else {
    ElMessage.error(e.message || '操作失败');
  }
}
