// The work screens, who uses them, and where a user lands after signing
// in. Roles follow data/auth.go; admin sees every screen.
export const screens = [
  { name: 'intake', path: '/intake', title: '受理台', roles: ['operator', 'supervisor'] },
  { name: 'register', path: '/register', title: '立案', roles: ['supervisor'] },
  { name: 'dispatch', path: '/dispatch', title: '派遣台', roles: ['dispatcher', 'supervisor'] },
  { name: 'handle', path: '/handle', title: '处置', roles: ['unit'] },
  { name: 'check', path: '/check', title: '核查', roles: ['inspector', 'operator', 'supervisor'] },
];

// Roles that may open a case file (every internal post).
export const caseRoles = ['viewer', 'inspector', 'operator', 'supervisor', 'dispatcher', 'unit', 'surveyor'];

export function allowed(roles, screen) {
  return roles.includes('admin') || screen.roles.some((r) => roles.includes(r));
}

export function screensFor(roles) {
  return screens.filter((s) => allowed(roles, s));
}
