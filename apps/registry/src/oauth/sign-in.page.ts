import { createHash } from 'node:crypto';
import type { AuthorizationRequest } from './authorization-code.policy';

const escape = (value: string): string => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = `
  body { font-family: system-ui, sans-serif; background: #f8fafc; color: #1f2937; }
  form { max-width: 26rem; margin: 5rem auto; background: white; padding: 1.5rem 2rem; border: 1px solid #e5e7eb; border-radius: 6px; }
  label { display: block; margin: .8rem 0; }
  input[type=text], input[type=password] { width: 100%; padding: .45rem; box-sizing: border-box; font-family: ui-monospace, monospace; }
  button { padding: .45rem 1.2rem; }
  .error { color: #b91c1c; }
  small { color: #6b7280; }
`;

/** The page's only style is this block, allowed by its hash; it has no script at all. */
export const SIGN_IN_CSP = ["default-src 'none'", `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`, "form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'"].join(
  '; ',
);

const REQUEST_FIELDS = ['response_type', 'client_id', 'redirect_uri', 'code_challenge', 'code_challenge_method', 'state', 'scope'] as const;

/**
 * The issuer's sign-in page for the console: the account of a tenant (its OAuth client id and
 * secret, as a platform admin created it) and the authorization request carried as hidden fields,
 * posted back to the same path (relative, so through the gateway it stays on the gateway's origin).
 */
export function signInPage(request: AuthorizationRequest, error?: string): string {
  const hidden = REQUEST_FIELDS.filter((f) => request[f] !== undefined)
    .map((f) => `<input type="hidden" name="${f}" value="${escape(request[f]!)}">`)
    .join('\n    ');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Sign in to Falaj</title>
  <style>${STYLE}</style>
</head>
<body>
  <form method="post" action="authorize">
    <h2>Sign in to the Falaj console</h2>
    <p><small>With your tenant's account: the client id and secret a platform admin gave you. The console gets a short-lived token with that account's tenant and scopes.</small></p>
    ${error ? `<p class="error" id="error">${escape(error)}</p>` : ''}
    ${hidden}
    <label>Account (client id)<input type="text" name="account_id" id="account_id" autocomplete="username" required maxlength="200"></label>
    <label>Secret<input type="password" name="account_secret" id="account_secret" autocomplete="current-password" required maxlength="200"></label>
    <button type="submit" id="sign-in">Sign in</button>
  </form>
</body>
</html>
`;
}

/** A page that says why the request cannot go on, and sends nothing anywhere. */
export function refusalPage(message: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign-in refused</title><style>${STYLE}</style></head>
<body><form><h2>Sign-in refused</h2><p class="error">${escape(message)}</p></form></body>
</html>
`;
}
