/**
 * A scripted browser for oidc-provider's development pages (devInteractions). It follows
 * redirects by hand with a cookie jar, fills the sign-in form with any user name, and approves
 * or cancels the consent. It stops at the loopback redirect URI and requests it the way a
 * browser would. Only the provider and the loopback redirect server are contacted, because
 * subresources named in the pages (fonts, images) are not fetched.
 *
 * Hand-written rather than a headless browser, so that the demo and the tests that use it run
 * where no browser is installed. Plain JavaScript, because `npm run demo` runs it on Node 20
 * without a TypeScript step; `user-agent.d.mts` gives its types.
 */

const MAX_STEPS = 25;

/**
 * Drives an authorization request from its URL to the redirect at `redirect_uri`, then sends
 * that request to the loopback redirect server and returns its response.
 */
export async function completeAuthorization(authorizationUrl, script = {}) {
  const redirectUri = new URL(authorizationUrl).searchParams.get('redirect_uri');
  if (redirectUri === null) throw new Error('The authorization URL has no redirect_uri.');

  const agent = new ScriptedAgent(new URL(authorizationUrl).origin);
  let next = { url: authorizationUrl, method: 'GET' };

  for (let step = 0; step < MAX_STEPS; step++) {
    if (next.url.startsWith(redirectUri)) {
      const callback = script.rewriteCallback?.(new URL(next.url)).toString() ?? next.url;
      const response = await fetch(callback, { redirect: 'manual' });
      return { url: callback, status: response.status, body: await response.text() };
    }

    const page = await agent.request(next);
    if (page.location !== undefined) {
      next = { url: page.location, method: 'GET' };
      continue;
    }

    next = interact(page, script);
  }
  throw new Error(`The authorization did not reach ${redirectUri} within ${MAX_STEPS} steps.`);
}

/**
 * Completes a device authorization as the user would on another device: opens the
 * verification URI, enters the user code, confirms it, signs in, and approves or cancels the consent.
 * Returns the text of the last page.
 */
export async function completeDeviceAuthorization(verificationUri, userCode, script = {}) {
  const agent = new ScriptedAgent(new URL(verificationUri).origin);
  let next = { url: verificationUri, method: 'GET' };
  let codeEntered = false;

  for (let step = 0; step < MAX_STEPS; step++) {
    const page = await agent.request(next);
    if (page.location !== undefined) {
      next = { url: page.location, method: 'GET' };
      continue;
    }

    const form = findForms(page.body, page.url)[0];
    if (form === undefined) return textOf(page.body);

    if ('user_code' in form.fields && form.fields.user_code === '') {
      // The provider shows the code form again once the request is denied or ended.
      if (codeEntered) return textOf(page.body);
      codeEntered = true;
      next = submit(form, { user_code: userCode });
    } else {
      next = interact(page, script);
    }
  }
  throw new Error(`The device authorization did not finish within ${MAX_STEPS} steps.`);
}

/** Submits the sign-in form or the consent form on the provider page in front of the user. */
function interact(page, script) {
  const form = findForms(page.body, page.url)[0];
  if (form === undefined) {
    throw new Error(`Unexpected page from ${page.url} (HTTP ${page.status}): ${textOf(page.body).slice(0, 300)}`);
  }

  if (form.fields.prompt === 'login') {
    return submit(form, { login: script.login ?? 'alice', password: 'any password' });
  }
  if (form.fields.prompt === 'consent' && script.consent === 'deny') {
    // The page's "[ Cancel ]" link points at the interaction's abort endpoint.
    const abort = /href="([^"]*\/abort)"/.exec(page.body)?.[1];
    if (abort === undefined) throw new Error(`The consent page at ${page.url} has no abort link.`);
    return { url: new URL(decodeEntities(abort), page.url).toString(), method: 'GET' };
  }
  return submit(form, {});
}

function submit(form, values) {
  return { url: form.action, method: form.method, form: { ...form.fields, ...values } };
}

/** A fetch client with a cookie jar that honours cookie paths and expiry, for one origin. */
class ScriptedAgent {
  #origin;
  #cookies = new Map();

  constructor(origin) {
    this.#origin = origin;
  }

  async request(pending) {
    const url = new URL(pending.url);
    if (url.origin !== this.#origin) throw new Error(`The scripted browser only visits ${this.#origin}, not ${url.origin}.`);

    const headers = { Accept: 'text/html' };
    const cookie = this.#cookieHeader(url.pathname);
    if (cookie !== '') headers.Cookie = cookie;

    const init = { method: pending.method, headers, redirect: 'manual' };
    if (pending.form !== undefined) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      init.body = new URLSearchParams(pending.form).toString();
    }

    const response = await fetch(url, init);
    this.#store(response.headers.getSetCookie(), url.pathname);
    const location = response.headers.get('Location');
    const body = await response.text();
    const page = { url: url.toString(), status: response.status, body };
    if (response.status >= 300 && response.status < 400 && location !== null) page.location = new URL(location, url).toString();
    return page;
  }

  #cookieHeader(path) {
    return [...this.#cookies.values()]
      .filter((cookie) => path === cookie.path || path.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`))
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join('; ');
  }

  #store(setCookies, requestPath) {
    for (const header of setCookies) {
      const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
      const separator = pair.indexOf('=');
      if (separator <= 0) continue;
      const name = pair.slice(0, separator);
      const value = pair.slice(separator + 1);

      let path = requestPath.slice(0, requestPath.lastIndexOf('/')) || '/';
      let expired = false;
      for (const attribute of attributes) {
        const [key = '', attributeValue = ''] = attribute.split('=');
        const lower = key.toLowerCase();
        if (lower === 'path') path = attributeValue;
        if (lower === 'max-age' && Number(attributeValue) <= 0) expired = true;
        if (lower === 'expires' && Date.parse(attributeValue) <= Date.now()) expired = true;
      }

      const key = `${name};${path}`;
      if (expired) this.#cookies.delete(key);
      else this.#cookies.set(key, { name, value, path });
    }
  }
}

/**
 * Extracts forms from the provider's pages, which are simple and well-formed. Each form has its
 * action, its method, and every named input with its value attribute ('' when it has none).
 */
function findForms(html, pageUrl) {
  const forms = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attributes = attributesOf(match[1] ?? '');
    const fields = {};
    for (const input of (match[2] ?? '').matchAll(/<input\b([^>]*)>/gi)) {
      const inputAttributes = attributesOf(input[1] ?? '');
      if (inputAttributes.name !== undefined) fields[inputAttributes.name] = inputAttributes.value ?? '';
    }
    forms.push({
      action: new URL(attributes.action ?? pageUrl, pageUrl).toString(),
      method: (attributes.method ?? 'get').toUpperCase() === 'POST' ? 'POST' : 'GET',
      fields,
    });
  }
  return forms;
}

function attributesOf(text) {
  const attributes = {};
  for (const match of text.matchAll(/([\w-]+)\s*=\s*"([^"]*)"/g)) {
    attributes[(match[1] ?? '').toLowerCase()] = decodeEntities(match[2] ?? '');
  }
  return attributes;
}

function decodeEntities(text) {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function textOf(html) {
  return html
    .replace(/<style[\s\S]*?<\/style>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
