// Saves data produced in the page (an SVG, PNG or JSON export) as a file through a temporary
// object URL and a download link: nothing is sent anywhere.

/** A file name safe on every system: no path separators, control or reserved characters, not empty. */
export function safeFilename(name: string, fallback = 'export'): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = String(name).replace(/[\u0000-\u001F\u007F<>:"/\\|?*]+/g, '-').replace(/^[\s.-]+|[\s.]+$/g, '').slice(0, 150);
  return cleaned || fallback;
}

export function download(data: Blob | string, filename: string, mime: string): void {
  const blob = typeof data === 'string' ? new Blob([data], { type: mime }) : data.type ? data : new Blob([data], { type: mime });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = safeFilename(filename);
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  try {
    a.click();
  } finally {
    a.remove();
    // the download has started by the next task in every browser; the URL can go then
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
}
