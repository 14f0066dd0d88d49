// Sign-in (登录): posts the user name and password as JSON to
// POST /api/v1/session, which sets the session cookie, then goes to the
// page named by ?next= (a path of this server only, never another site).
const form = document.getElementById('signin');
const message = document.getElementById('message');
const submit = document.getElementById('submit');

// next is where to go after signing in: a local path, else the command page.
function next() {
  const n = new URLSearchParams(location.search).get('next') || '';
  return /^\/(?![/\\])/.test(n) ? n : '/command';
}

// The address bar never keeps anything but ?next=.
const keep = new URLSearchParams();
if (new URLSearchParams(location.search).get('next')) keep.set('next', next());
history.replaceState(null, '', location.pathname + (keep.toString() ? '?' + keep : ''));

let waitUntil = 0;
form.addEventListener('submit', async (e) => {
  e.preventDefault();
  if (Date.now() < waitUntil) return;
  submit.disabled = true;
  message.textContent = '';
  try {
    const res = await fetch('/api/v1/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ username: form.username.value.trim(), password: form.password.value }),
      credentials: 'same-origin',
      cache: 'no-store',
    });
    if (res.ok) {
      location.replace(next());
      return;
    }
    form.password.value = '';
    if (res.status === 401) message.textContent = '用户名或密码错误。';
    else if (res.status === 403) message.textContent = '此账号已停用，请联系管理员。';
    else if (res.status === 429) {
      const s = Math.max(1, parseInt(res.headers.get('Retry-After') || '60', 10) || 60);
      waitUntil = Date.now() + s * 1000;
      message.textContent = `尝试次数过多，请 ${s} 秒后再试。`;
      setTimeout(() => { submit.disabled = false; message.textContent = ''; }, s * 1000);
      return;
    } else if (res.status === 503) message.textContent = '服务器暂不可用，请稍后再试。';
    else message.textContent = `登录失败（${res.status}）。`;
  } catch {
    message.textContent = '无法连接服务器，请检查网络后重试。';
  }
  submit.disabled = false;
});
