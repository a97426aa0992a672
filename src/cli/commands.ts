/**
 * Every command with the module that runs it. Tests and the bundle for anything but a single
 * known command use this table; the build gives each command a bundle of its own.
 */
export const allCommands = {
  init: () => import('../commands/init.js'),
  validate: () => import('../commands/validate.js'),
  list: () => import('../commands/list.js'),
  ready: () => import('../commands/stage.js'),
  draft: () => import('../commands/stage.js'),
  get: () => import('../commands/field.js'),
  set: () => import('../commands/field.js'),
  scopes: () => import('../commands/scopes.js'),
  schema: () => import('../commands/schema.js'),
  connect: () => import('../commands/connect.js'),
  connections: () => import('../commands/connections.js'),
  disconnect: () => import('../commands/disconnect.js'),
  secret: () => import('../commands/secret.js'),
  token: () => import('../commands/token.js'),
  request: () => import('../commands/request.js'),
  check: () => import('../commands/check.js'),
  completion: () => import('../commands/completion.js'),
};
