/**
 * The page the loopback redirect server shows in the browser once an authorization ends.
 * It is self-contained (inline CSS, no scripts, no external resources), so it renders
 * under the server's `default-src 'none'` content security policy and leaks nothing.
 */

export type PageKind = 'success' | 'failure' | 'info';

export interface PageContent {
  title: string;
  message: string;
  /** Extra lines shown in a monospace box, such as a provider's `error` and `error_description`. */
  details?: string[];
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for use in HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character] ?? character);
}

const ACCENTS: Record<PageKind, { color: string; mark: string }> = {
  success: { color: '#1a7f37', mark: '&#10003;' },
  failure: { color: '#cf222e', mark: '&#10007;' },
  info: { color: '#57606a', mark: 'i' },
};

/** Renders a complete HTML document; every value from `content` is escaped. */
export function renderPage(kind: PageKind, content: PageContent): string {
  const accent = ACCENTS[kind];
  const details =
    content.details === undefined || content.details.length === 0
      ? ''
      : `<pre>${content.details.map(escapeHtml).join('\n')}</pre>`;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(content.title)}</title>
<style>
  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; background: #f6f8fa; color: #1f2328; }
  main { max-width: 32rem; margin: 12vh auto; padding: 2rem; background: #fff; border: 1px solid #d0d7de; border-radius: 12px; }
  .mark { display: inline-block; width: 2.5rem; height: 2.5rem; border-radius: 50%; background: ${accent.color}; color: #fff; text-align: center; line-height: 2.5rem; font-weight: bold; font-size: 1.25rem; }
  h1 { font-size: 1.375rem; margin: 1rem 0 0.5rem; }
  p { margin: 0.5rem 0; }
  pre { white-space: pre-wrap; word-break: break-word; background: #f6f8fa; border-radius: 6px; padding: 0.75rem; font-size: 0.875rem; }
  @media (prefers-color-scheme: dark) {
    body { background: #0d1117; color: #e6edf3; }
    main { background: #161b22; border-color: #30363d; }
    pre { background: #0d1117; }
  }
</style>
</head>
<body>
<main>
<span class="mark" aria-hidden="true">${accent.mark}</span>
<h1>${escapeHtml(content.title)}</h1>
<p>${escapeHtml(content.message)}</p>
${details}
</main>
</body>
</html>
`;
}
