// Routes in history mode below /app/ (citygrid answers index.html for any
// of them). Every route but the sign-in needs a session; a route the
// role the session acts in does not allow goes to the first one it does.
import { createRouter, createWebHistory } from 'vue-router';
import { actingRoles, loadSession, session, setUnauthorizedHandler } from './api.js';
import { screens, screensFor, allowed, caseRoles } from './screens.js';

const views = {
  intake: () => import('./views/Intake.vue'),
  register: () => import('./views/Register.vue'),
  dispatch: () => import('./views/Dispatch.vue'),
  handle: () => import('./views/Handle.vue'),
  check: () => import('./views/Check.vue'),
};

const routes = [
  { path: '/signin', name: 'signin', component: () => import('./views/SignIn.vue'), meta: { public: true, title: '登录' } },
  { path: '/', name: 'home', component: () => import('./views/Home.vue'), meta: { title: '工作台' } },
  ...screens.map((s) => ({ path: s.path, name: s.name, component: views[s.name], meta: { title: s.title, roles: s.roles } })),
  { path: '/cases/:id(\\d+)', name: 'case', component: () => import('./views/CaseFile.vue'), props: true, meta: { title: '案卷', roles: caseRoles } },
  { path: '/:rest(.*)*', name: 'notfound', component: () => import('./views/NotFound.vue'), meta: { title: '页面不存在' } },
];

export const router = createRouter({ history: createWebHistory('/app/'), routes });

setUnauthorizedHandler(() => {
  const cur = router.currentRoute.value;
  if (cur.name !== 'signin') router.replace({ name: 'signin', query: { next: cur.fullPath } });
});

router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  if (!session.loaded || !session.user) {
    let ok = false;
    try { ok = await loadSession(); } catch { ok = false; }
    if (!ok) return { name: 'signin', query: { next: to.fullPath } };
  }
  const roles = actingRoles();
  if (to.meta.roles && !allowed(roles, { roles: to.meta.roles })) {
    const first = screensFor(roles)[0];
    return first && first.name !== to.name ? { name: first.name } : { name: 'home' };
  }
  return true;
});

router.afterEach((to) => {
  document.title = `${to.meta.title || ''} · 城市管理工作台`;
});
