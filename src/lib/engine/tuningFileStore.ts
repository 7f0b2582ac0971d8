// Kernel-family choices kept in a JSON file (Node: the benchmark and command-line tools), so a
// machine's adapter is timed once: { "<adapter>|<shape class>": "<family>", ... }.
// Never imported by the page, which keeps its choices in IndexedDB (worker/kernelChoices.ts).

import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ChoiceStore } from './tuning';

export class FileChoiceStore implements ChoiceStore {
  private entries: Record<string, string> | null = null;
  constructor(readonly path: string) {}

  private async load(): Promise<Record<string, string>> {
    if (this.entries) return this.entries;
    try {
      const parsed: unknown = JSON.parse(await readFile(this.path, 'utf8'));
      const ok = parsed && typeof parsed === 'object' && !Array.isArray(parsed) && Object.values(parsed).every((v) => typeof v === 'string');
      this.entries = ok ? (parsed as Record<string, string>) : {};
    } catch {
      this.entries = {}; // missing or unreadable: start afresh
    }
    return this.entries;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.load())[key];
  }

  async set(key: string, value: string): Promise<void> {
    const entries = await this.load();
    entries[key] = value;
    await mkdir(dirname(this.path), { recursive: true });
    await writeFile(this.path, JSON.stringify(entries, null, 1) + '\n');
  }
}
